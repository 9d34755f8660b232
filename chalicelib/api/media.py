"""Campaign photos and brand icons: uploads checked by content, bytes in S3.

- `POST /api/{storeCode}/campaign/{campaign}/photo`: a multipart/form-data upload in the field
  `photo[file]` (admin); answers `{"photoId": ...}`.
- `GET|DELETE /api/{storeCode}/campaign/{campaign}/photo/{photoId}`: the raw image with its
  Content-Type (admin, seller, customer, store key) / remove it (admin, 204).
- `POST|GET|DELETE /api/{storeCode}/campaign/{campaign}/brand_icon`: the same for the one brand
  icon, in the field `brand_icon[file]`; an upload replaces the icon (204).

Images are binary responses: API Gateway (and Chalice) send them only to a request whose
`Accept` admits the image's type, such as curl's default `*/*`.
"""

from __future__ import annotations

from typing import Any

from chalice import Response

from chalicelib.api import multipart
from chalicelib.api.openloyalty import openloyalty_routes
from chalicelib.api.request import BODY_TYPES, ApiRequest
from chalicelib.api.responses.media import PhotoId
from chalicelib.domain import media
from chalicelib.domain.campaigns import CampaignNotFoundError
from chalicelib.domain.errors import PayloadTooLargeError

# A form or JSON body without the file reaches the handler and gets the form error, not a 415.
UPLOAD_TYPES = (multipart.MULTIPART, *BODY_TYPES)
PHOTOS = "/api/{storeCode}/campaign/{campaign}/photo"
BRAND_ICON = "/api/{storeCode}/campaign/{campaign}/brand_icon"
# Answered as the bytes with their own type: PNG, JPEG, GIF or WebP (`media.image_type`).
IMAGE = "image/*"
UPLOAD_ERRORS = (CampaignNotFoundError, PayloadTooLargeError, media.UnsupportedImageError)

routes = openloyalty_routes(__name__)


def uploaded(request: ApiRequest, form: str) -> tuple[bytes | None, str | None]:
    """The bytes and client-side name of the file in `<form>[file]`, if one was sent."""
    part = multipart.file_field(request.raw, f"{form}[file]", media.MAX_FILE_SIZE)
    return (part.data, part.filename) if part else (None, None)


def image_response(image: media.Image) -> Response:
    # nosniff: a browser shows the bytes only as the type checked on upload.
    headers = {"Content-Type": image.mime_type, "X-Content-Type-Options": "nosniff"}
    return Response(body=image.data, status_code=200, headers=headers)


@routes.route(
    PHOTOS,
    methods=["POST"],
    content_types=UPLOAD_TYPES,
    summary="Add a photo to a campaign",
    response_model=PhotoId,
    errors=(*UPLOAD_ERRORS, media.TooManyPhotosError),
)
def add_photo(request: ApiRequest, storeCode: str, campaign: str) -> dict[str, Any]:
    photo = media.add_photo(request.store_code, campaign, *uploaded(request, "photo"))
    return {"photoId": photo.photo_id}


@routes.route(
    PHOTOS + "/{photoId}",
    summary="Get a campaign's photo",
    response_type=IMAGE,
    errors=(CampaignNotFoundError, media.PhotoNotFoundError),
)
def get_photo(request: ApiRequest, storeCode: str, campaign: str, photoId: str) -> Response:
    return image_response(media.get_photo(request.store_code, campaign, photoId))


@routes.route(
    PHOTOS + "/{photoId}",
    methods=["DELETE"],
    summary="Remove a campaign's photo",
    errors=(CampaignNotFoundError, media.PhotoNotFoundError, media.MediaChangedError),
)
def remove_photo(request: ApiRequest, storeCode: str, campaign: str, photoId: str) -> None:
    media.remove_photo(request.store_code, campaign, photoId)


@routes.route(
    BRAND_ICON,
    methods=["POST"],
    content_types=UPLOAD_TYPES,
    summary="Add a brand icon to the campaign",
    errors=(*UPLOAD_ERRORS, media.MediaChangedError),
)
def set_brand_icon(request: ApiRequest, storeCode: str, campaign: str) -> None:
    media.set_brand_icon(request.store_code, campaign, *uploaded(request, "brand_icon"))


@routes.route(
    BRAND_ICON,
    summary="Get a campaign's brand icon",
    response_type=IMAGE,
    errors=(CampaignNotFoundError, media.BrandIconNotFoundError),
)
def get_brand_icon(request: ApiRequest, storeCode: str, campaign: str) -> Response:
    return image_response(media.get_brand_icon(request.store_code, campaign))


@routes.route(
    BRAND_ICON,
    methods=["DELETE"],
    summary="Remove campaign's brand icon",
    errors=(CampaignNotFoundError, media.BrandIconNotFoundError, media.MediaChangedError),
)
def remove_brand_icon(request: ApiRequest, storeCode: str, campaign: str) -> None:
    media.remove_brand_icon(request.store_code, campaign)
