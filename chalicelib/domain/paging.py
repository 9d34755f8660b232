"""Opaque page cursors: the sort key to continue after, never a whole DynamoDB key.

The partition of a page always comes from the caller's credential, so a tampered cursor can
at most move within the caller's own data.
"""

from __future__ import annotations

import base64
import binascii
import json

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
