"""The multipart/form-data reader: one field's file, its bytes intact, sizes bounded."""

from __future__ import annotations

import base64

import pytest
from chalice.app import Request
from urllib3.filepost import encode_multipart_formdata

from chalicelib.api.multipart import ENVELOPE, MAX_PARTS, file_field
from chalicelib.domain.errors import (
    InvalidInputError,
    MalformedRequestError,
    PayloadTooLargeError,
)

# Every byte value, and runs that look like the start of a boundary or a header break.
AWKWARD = bytes(range(256)) * 4 + b"\r\n--\r\n\r\n--x\r\n" + b"\r" * 3 + b"\n"
LIMIT = 4096


def request_with(body: bytes, content_type: str) -> Request:
    """A Chalice request as API Gateway delivers a binary body: base64 in the event."""
    return Request(
        {
            "multiValueQueryStringParameters": None,
            "headers": {"content-type": content_type},
            "pathParameters": {},
            "requestContext": {"httpMethod": "POST", "resourcePath": "/upload"},
            "body": base64.b64encode(body).decode("ascii"),
            "isBase64Encoded": True,
            "stageVariables": None,
        }
    )


def form(*fields: tuple[str, bytes | str, str | None]) -> Request:
    """A multipart request with (name, value, filename) fields, encoded by urllib3."""
    encoded = [
        (name, (filename, value, "image/png") if filename else value)
        for name, value, filename in fields
    ]
    body, content_type = encode_multipart_formdata(encoded)
    return request_with(body, content_type)


def test_returns_the_named_fields_bytes_exactly_and_its_file_name() -> None:
    request = form(
        ("photo[name]", "front", None),
        ("photo[file]", AWKWARD, "C:\\fakepath\\Photo.png"),
        ("other[file]", b"not this one", "other.png"),
    )

    part = file_field(request, "photo[file]", LIMIT)

    assert part is not None
    assert part.data == AWKWARD
    assert part.filename == "Photo.png"  # the folders an old browser sends are dropped


def test_none_without_the_field_or_for_a_body_that_is_no_multipart_form() -> None:
    assert file_field(form(("brand_icon[file]", b"x", "a.png")), "photo[file]", LIMIT) is None
    urlencoded = request_with(
        b"photo[file]=C:\\fakepath\\Photo.png", "application/x-www-form-urlencoded"
    )
    assert file_field(urlencoded, "photo[file]", LIMIT) is None


def test_a_file_over_the_limit_is_too_large() -> None:
    request = form(("photo[file]", b"\0" * (LIMIT + 1), "big.png"))

    with pytest.raises(PayloadTooLargeError):
        file_field(request, "photo[file]", LIMIT)


def test_a_file_at_the_limit_is_taken() -> None:
    part = file_field(form(("photo[file]", b"\1" * LIMIT, "ok.png")), "photo[file]", LIMIT)

    assert part is not None and len(part.data) == LIMIT


def test_a_body_over_the_limit_is_refused_before_it_is_parsed() -> None:
    # Not even multipart inside: parsing it would be a 400, the size check comes first.
    request = request_with(b"x" * (LIMIT + ENVELOPE + 1), "multipart/form-data; boundary=b")

    with pytest.raises(PayloadTooLargeError):
        file_field(request, "photo[file]", LIMIT)


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b'--b\r\nContent-Disposition: form-data; name="a"\r\n\r\nno end', "boundary=b"),
        (b"--b--\r\n", ""),
        (b"garbage", "boundary=b"),
    ],
    ids=["unterminated", "no-boundary", "garbage"],
)
def test_a_body_that_does_not_parse_is_malformed(body: bytes, content_type: str) -> None:
    request = request_with(body, f"multipart/form-data; {content_type}")

    with pytest.raises(MalformedRequestError) as raised:
        file_field(request, "photo[file]", LIMIT)

    assert raised.value.code == "malformed_multipart"


def test_the_field_twice_is_refused() -> None:
    request = form(("photo[file]", b"one", "1.png"), ("photo[file]", b"two", "2.png"))

    with pytest.raises(InvalidInputError) as raised:
        file_field(request, "photo[file]", LIMIT)

    assert "photo[file]" in raised.value.errors


def test_too_many_parts_are_refused() -> None:
    request = form(*[(f"f{n}", "v", None) for n in range(MAX_PARTS + 1)])

    with pytest.raises(MalformedRequestError):
        file_field(request, "photo[file]", LIMIT)
