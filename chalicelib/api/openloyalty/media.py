"""Campaign photos and brand icons: uploads checked by content, bytes in S3.

- `POST /api/{storeCode}/campaign/{campaign}/photo`: a multipart/form-data upload in the field
  `photo[file]` (admin); answers `{"photoId": ...}`.
- `GET|DELETE /api/{storeCode}/campaign/{campaign}/photo/{photoId}`: a 302 to the image /
  remove it (admin, 204).
- `POST|GET|DELETE /api/{storeCode}/campaign/{campaign}/brand_icon`: the same for the one brand
  icon, in the field `brand_icon[file]`; an upload replaces the icon (204).

Reading is open to anyone, as in Open Loyalty (no credential is looked at), and answers a 302
to a presigned S3 URL valid for `media.LINK_SECONDS`: the bytes come from S3 with their checked
type, whatever the request's `Accept` (the document sends `application/json`; API Gateway
would send a binary body only to an `Accept` that admits it). Locally the URL is the embedded
AWS's own (`http://127.0.0.1:5000/...`), which the same client reaches.
"""

from __future__ import annotations

from chalice import Response

from chalicelib.api import multipart
from chalicelib.api.openloyalty.errors import openloyalty_routes
from chalicelib.api.openloyalty.media_schemas import PhotoId
from chalicelib.api.request import BODY_TYPES, ApiRequest
from chalicelib.domain.catalog import media
from chalicelib.domain.catalog.campaigns import CampaignNotFoundError
from chalicelib.domain.errors import PayloadTooLargeError

# A form or JSON body without the file reaches the handler and gets the form error, not a 415.
UPLOAD_TYPES = (multipart.MULTIPART, *BODY_TYPES)
PHOTOS = "/api/{storeCode}/campaign/{campaign}/photo"
BRAND_ICON = "/api/{storeCode}/campaign/{campaign}/brand_icon"
FOUND = 302
UPLOAD_ERRORS = (CampaignNotFoundError, PayloadTooLargeError, media.UnsupportedImageError)

routes = openloyalty_routes(__name__)


def uploaded(request: ApiRequest, form: str) -> tuple[bytes | None, str | None]:
    """The bytes and client-side name of the file in `<form>[file]`, if one was sent."""
    part = multipart.file_field(request.raw, f"{form}[file]", media.MAX_FILE_SIZE)
    return (part.data, part.filename) if part else (None, None)


def redirect(url: str) -> Response:
    # The URL expires: a cache may keep the answer no longer than the URL works.
    headers = {"Location": url, "Cache-Control": f"public, max-age={media.LINK_SECONDS // 2}"}
    return Response(body="", status_code=FOUND, headers=headers)


@routes.route(
    PHOTOS,
    methods=["POST"],
    content_types=UPLOAD_TYPES,
    summary="Add a photo to a campaign",
    errors=(*UPLOAD_ERRORS, media.TooManyPhotosError),
)
def add_photo(request: ApiRequest, storeCode: str, campaign: str) -> PhotoId:
    return media.add_photo(request.store_code, campaign, *uploaded(request, "photo"))


@routes.route(
    PHOTOS + "/{photoId}",
    status=FOUND,
    summary="Get a campaign's photo: a 302 to its bytes (anyone may read it)",
    errors=(CampaignNotFoundError, media.PhotoNotFoundError),
)
def get_photo(request: ApiRequest, storeCode: str, campaign: str, photoId: str) -> Response:
    return redirect(media.photo_link(storeCode, campaign, photoId))


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
    status=FOUND,
    summary="Get a campaign's brand icon: a 302 to its bytes (anyone may read it)",
    errors=(CampaignNotFoundError, media.BrandIconNotFoundError),
)
def get_brand_icon(request: ApiRequest, storeCode: str, campaign: str) -> Response:
    return redirect(media.brand_icon_link(storeCode, campaign))


@routes.route(
    BRAND_ICON,
    methods=["DELETE"],
    summary="Remove campaign's brand icon",
    errors=(CampaignNotFoundError, media.BrandIconNotFoundError, media.MediaChangedError),
)
def remove_brand_icon(request: ApiRequest, storeCode: str, campaign: str) -> None:
    media.remove_brand_icon(request.store_code, campaign)
