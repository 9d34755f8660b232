"""HTML answers (claim links, reward links, the API's docs), errors included.

Every one goes through `html_response`, the one place that sets the pages' security headers:
a Content-Security-Policy that runs scripts of this origin only (the docs page's Swagger UI and
its start-up file, `/docs/assets/...`; none inline), allows the pages' own `<style>` blocks and
Swagger UI's `data:` images, posts forms to this origin only, and lets no other site frame a
page (`frame-ancestors 'none'`, and `X-Frame-Options: DENY` for older browsers); and
`X-Content-Type-Options: nosniff`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from chalice import Response

from chalicelib.api.errors import status_of
from chalicelib.domain.errors import RewardsError
from chalicelib.mail.templates import render

HTML = "text/html; charset=utf-8"
DEFAULT_ERROR_TITLE = "This request could not be completed"
CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "form-action 'self'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
    )
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
}


def html_response(template: str, status: int = 200, **context: Any) -> Response:
    return Response(
        body=render(template, **context),
        status_code=status,
        headers={"Content-Type": HTML, **SECURITY_HEADERS},
    )


def error_page(error: RewardsError, titles: Mapping[str, str]) -> Response:
    """The page for a domain error: its status, a title chosen by its code, its message."""
    title = titles.get(error.code, DEFAULT_ERROR_TITLE)
    return html_response("error_page.html", status_of(error), title=title, message=error.message)
