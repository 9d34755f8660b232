"""Opaque page cursors: the sort key to continue after, never a whole DynamoDB key.

The partition of a page always comes from the caller's credential, so a tampered cursor can
at most move within the caller's own data.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from chalicelib.domain.errors import MalformedRequestError


def encode_cursor(position: str) -> str:
    raw = json.dumps({"after": position}).encode("utf-8")
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def decode_cursor(cursor: str) -> str:
    try:
        position = json.loads(base64.urlsafe_b64decode(cursor.encode("ascii") + b"==="))["after"]
    except (ValueError, KeyError, TypeError, binascii.Error, UnicodeEncodeError) as error:
        raise MalformedRequestError("The cursor is not valid.", code="invalid_cursor") from error
    if not isinstance(position, str) or not position:
        raise MalformedRequestError("The cursor is not valid.", code="invalid_cursor")
    return position


def page_span(page: int | None, per_page: int) -> tuple[int, int]:
    """Where page `page` (from 1; None: the first) of `per_page` items starts and ends."""
    start = ((page or 1) - 1) * per_page
    return start, start + per_page


def page_of(items: list[Any], page: int | None, per_page: int) -> list[Any]:
    """Page `page` (from 1) of `items`, `per_page` to a page."""
    start, end = page_span(page, per_page)
    return items[start:end]
