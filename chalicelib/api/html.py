"""HTML answers of the public pages (claim links, reward links), errors included."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from chalice import Response

from chalicelib.api.errors import status_of
from chalicelib.domain.errors import RewardsError
from chalicelib.mail.templates import render

HTML = "text/html; charset=utf-8"
DEFAULT_ERROR_TITLE = "This request could not be completed"


def html_response(template: str, status: int = 200, **context: Any) -> Response:
    return Response(
        body=render(template, **context), status_code=status, headers={"Content-Type": HTML}
    )


def error_page(error: RewardsError, titles: Mapping[str, str]) -> Response:
    """The page for a domain error: its status, a title chosen by its code, its message."""
    title = titles.get(error.code, DEFAULT_ERROR_TITLE)
    return html_response("error_page.html", status_of(error), title=title, message=error.message)
