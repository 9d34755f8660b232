"""`multipart/form-data` uploads: the one file a form field carries, its size bounded.

API Gateway hands the body over whole (base64-decoded for the binary types set in app.py), so it
is fed to the parser in one piece and only the wanted field's bytes are kept. The parser is the
`multipart` package (RFC 7578, no I/O of its own), imported on first use so that routes without
uploads never pay for it.
"""

from __future__ import annotations

from dataclasses import dataclass

from chalice.app import Request

from chalicelib.api.request import media_type
from chalicelib.domain.errors import (
    InvalidInputError,
    MalformedRequestError,
    PayloadTooLargeError,
)

MULTIPART = "multipart/form-data"
ENVELOPE = 64 * 1024  # room beside the file for part headers and small fields
MAX_PARTS = 16


@dataclass(frozen=True)
class FilePart:
    filename: str | None  # as the client named it; never trusted for the type
    data: bytes


def too_large(max_size: int) -> PayloadTooLargeError:
    return PayloadTooLargeError(f"A file may be at most {max_size // (1024 * 1024)} MB.")


def _boundary(content_type: str) -> str:
    from multipart import parse_options_header

    boundary = parse_options_header(content_type)[1].get("boundary")
    if not boundary:
        raise MalformedRequestError(
            "A multipart/form-data body needs a boundary in its Content-Type.",
            code="malformed_multipart",
        )
    return boundary


def file_field(request: Request, name: str, max_size: int) -> FilePart | None:
    """The file sent in form field `name`; None if the body is no multipart form or lacks it.

    A body longer than `max_size` plus a small envelope is refused before it is parsed.
    """
    if media_type(request) != MULTIPART:
        return None
    body = request.raw_body or b""
    if len(body) > max_size + ENVELOPE:
        raise too_large(max_size)
    from multipart import MultipartError, MultipartSegment, PushMultipartParser

    found: list[FilePart] = []
    wanted: MultipartSegment | None = None  # the part being read, when it is field `name`
    chunks: list[bytes] = []
    try:
        boundary = _boundary(request.headers.get("content-type") or "")
        with PushMultipartParser(
            boundary, content_length=len(body), max_segment_count=MAX_PARTS
        ) as parser:
            for event in parser.parse(body):
                if isinstance(event, MultipartSegment):
                    wanted = event if event.name == name else None
                    if wanted is not None and found:
                        raise InvalidInputError({name: ["Send one file per request."]})
                elif wanted is None:
                    continue  # another field's bytes, or its end
                elif event is None:  # the end of the wanted part
                    found.append(FilePart(wanted.filename, b"".join(chunks)))
                    wanted = None
                elif wanted.bytes_received > max_size:
                    raise too_large(max_size)
                else:
                    chunks.append(event)
    except MultipartError as error:
        raise MalformedRequestError(
            f"The multipart/form-data body does not parse: {error}", code="malformed_multipart"
        ) from error
    return found[0] if found else None
