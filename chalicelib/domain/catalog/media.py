"""Campaign photos and brand icons: images checked by their bytes, kept in S3.

The bytes live in the media bucket under `campaign_photos/<store>/<campaign>/<id>` and
`campaign_brand_icons/<store>/<campaign>/<id>`; the campaign item keeps a `MediaFile` for each
(a list of at most MAX_PHOTOS photos, one brand icon). Keys start with the store, and every
lookup goes through the campaign item of the caller's store, so no store reaches another's files.

Reading answers no bytes: it gives a short-lived presigned GET URL of the object (the API
answers a 302 to it), so every client gets the image straight from S3 whatever its `Accept`
(API Gateway sends binary bodies only to an `Accept` that admits them), and no image passes
through Lambda. Images are public, as in Open Loyalty: reading needs no credential; the path's
store and campaign still decide which objects can be named.

Order of writes, so that an item never points at a missing object:
- an upload puts the object first, then points the item at it under a condition; if the item
  refuses, the object is deleted again and nothing is left half-written;
- a removal (or a brand icon's replacement) changes the item first, under a condition naming the
  image it read, and deletes the old object after. If another change came in between, the
  condition fails and the change is planned again from a fresh read, once.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

from pynamodb.expressions.condition import Condition, size
from pynamodb.expressions.update import Action

from chalicelib import aws
from chalicelib.config import get_settings
from chalicelib.domain.access.stores import STORE_CODE
from chalicelib.domain.catalog.campaigns import CampaignNotFoundError, get_campaign
from chalicelib.domain.errors import (
    ConflictError,
    InvalidInputError,
    NotFoundError,
    PayloadTooLargeError,
)
from chalicelib.storage.campaigns import CampaignModel, MediaFile
from chalicelib.storage.errors import ConditionFailedError

MB = 1024 * 1024
# API Gateway base64-encodes binary bodies (4/3 larger) and Lambda takes at most 6 MB.
MAX_FILE_SIZE = 4 * MB
MAX_PHOTOS = 10
MAX_NAME_LENGTH = 255
LINK_SECONDS = 300  # how long a presigned image URL works
PHOTOS = "campaign_photos"
BRAND_ICONS = "campaign_brand_icons"
KINDS = "PNG, JPEG, GIF or WebP"

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Photo:
    """An image of a campaign as its views show it."""

    photo_id: str
    path: str  # where the image is kept (a storage key, not a URL)
    original_name: str | None
    mime_type: str

    @classmethod
    def of(cls, media: MediaFile) -> Photo:
        return cls(media.photo_id, media.path, media.original_name, media.mime_type)


class PhotoNotFoundError(NotFoundError):
    code = "photo_not_found"
    default_message = "This campaign has no such photo."


class BrandIconNotFoundError(NotFoundError):
    code = "brand_icon_not_found"
    default_message = "This campaign has no brand icon."


class TooManyPhotosError(ConflictError):
    code = "too_many_photos"
    default_message = f"A campaign has at most {MAX_PHOTOS} photos; remove one first."


class MediaChangedError(ConflictError):
    code = "media_changed"
    default_message = "The campaign's images changed meanwhile; try again."


class UnsupportedImageError(InvalidInputError):
    code = "unsupported_image"


def image_type(data: bytes) -> str | None:
    """The MIME type that the file's first bytes prove (PNG, JPEG, GIF, WebP), else None.

    Four fixed signatures from the formats' specifications; the name and the type the client
    declared are never looked at.
    """
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def _checked(form: str, data: bytes | None) -> tuple[bytes, str]:
    """The image and its type, or the error refusing the upload (in the form's `file` field)."""
    field = f"{form}.file"
    if not data:
        raise InvalidInputError(
            {field: [f"Upload a {KINDS} image as multipart/form-data in {form}[file]."]}
        )
    if len(data) > MAX_FILE_SIZE:
        raise PayloadTooLargeError(f"An image may be at most {MAX_FILE_SIZE // MB} MB.")
    mime_type = image_type(data)
    if mime_type is None:
        raise UnsupportedImageError({field: [f"The file is not a {KINDS} image."]})
    return data, mime_type


def original_name(name: str | None) -> str | None:
    """The client's file name without folders (browsers send `C:\\fakepath\\x.png`)."""
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(ch for ch in base if ch.isprintable())[:MAX_NAME_LENGTH]
    return base or None


# -- S3 ------------------------------------------------------------------------------------
def _bucket() -> str:
    return get_settings().bucket_name("media")


def _upload(
    folder: str, form: str, store_code: str, campaign_id: str, data: bytes | None, name: str | None
) -> MediaFile:
    """Check the file and put it in the bucket; the item does not point at it yet."""
    data, mime_type = _checked(form, data)
    file_id = str(uuid.uuid4())
    media = MediaFile(
        photo_id=file_id,
        path=f"{folder}/{store_code}/{campaign_id}/{file_id}",
        original_name=original_name(name),
        mime_type=mime_type,
        size=len(data),
        uploaded_at=datetime.now(UTC),
    )
    aws.client("s3").put_object(
        Bucket=_bucket(),
        Key=media.path,
        Body=data,
        ContentType=mime_type,
        ServerSideEncryption="AES256",
    )
    return media


def _discard(media: MediaFile) -> None:
    """Delete an object no item points at; failing only leaves an unreachable object behind."""
    try:
        aws.client("s3").delete_object(Bucket=_bucket(), Key=media.path)
    except aws.CALL_FAILED:
        log.warning("could not delete media object %s", media.path, exc_info=True)


@contextmanager
def _undone_on_failure(media: MediaFile) -> Iterator[None]:
    """Delete the object just put if the item does not end up pointing at it."""
    try:
        yield
    except BaseException:
        _discard(media)
        raise


def _link(media: MediaFile) -> str:
    """A presigned GET URL of the object, valid LINK_SECONDS, answering the type checked on
    upload. Signing is local: no call to S3."""
    return str(
        aws.client("s3").generate_presigned_url(
            "get_object",
            Params={"Bucket": _bucket(), "Key": media.path, "ResponseContentType": media.mime_type},
            ExpiresIn=LINK_SECONDS,
        )
    )


def _public_campaign(store_code: str, campaign_id: str) -> CampaignModel:
    """The campaign named by a path anyone may ask: a store code that cannot exist is simply
    not found (it never reaches DynamoDB as a key)."""
    if not STORE_CODE.match(store_code):
        raise CampaignNotFoundError()
    return get_campaign(store_code, campaign_id)


# -- the campaign item ---------------------------------------------------------------------
Change = tuple[list[Action], Condition, MediaFile | None]  # actions, condition, image replaced
Plan = Callable[[CampaignModel], Change]


def _touched() -> Action:
    return CampaignModel.updated_at.set(datetime.now(UTC))


def _change(store_code: str, campaign_id: str, plan: Plan) -> MediaFile | None:
    """Apply `plan(campaign)`'s actions under its condition; returns the image it replaced.

    The condition names the image the plan read, so a concurrent change makes it fail; then
    the plan runs once more on a fresh read.
    """
    for _attempt in range(2):
        campaign = get_campaign(store_code, campaign_id)
        actions, condition, replaced = plan(campaign)
        try:
            campaign.update(actions=[*actions, _touched()], condition=condition)
        except ConditionFailedError:
            continue
        return replaced
    raise MediaChangedError()


def _photo_index(campaign: CampaignModel, photo_id: str) -> int:
    for index, photo in enumerate(campaign.photos or []):
        if photo.photo_id == photo_id:
            return index
    raise PhotoNotFoundError()


def _brand_icon(campaign: CampaignModel) -> MediaFile:
    if campaign.brand_icon is None:
        raise BrandIconNotFoundError()
    return campaign.brand_icon


def _brand_icon_is(icon: MediaFile | None) -> Condition:
    if icon is None:
        return CampaignModel.campaign_id.exists() & CampaignModel.brand_icon.does_not_exist()
    return CampaignModel.brand_icon.photo_id == icon.photo_id


# -- photos --------------------------------------------------------------------------------
def add_photo(
    store_code: str, campaign_id: str, data: bytes | None, name: str | None = None
) -> Photo:
    """Store one more photo of the campaign (at most MAX_PHOTOS)."""
    photo = _upload(PHOTOS, "photo", store_code, campaign_id, data, name)
    photos = CampaignModel.photos
    room_left = photos.does_not_exist() | (size(photos) < MAX_PHOTOS)
    with _undone_on_failure(photo):
        try:
            CampaignModel(store_code, campaign_id).update(
                actions=[photos.set((photos | []).append([photo])), _touched()],
                condition=CampaignModel.campaign_id.exists() & room_left,
            )
        except ConditionFailedError as error:
            get_campaign(store_code, campaign_id)  # a missing campaign is a 404
            raise TooManyPhotosError() from error
    return Photo.of(photo)


def photo_link(store_code: str, campaign_id: str, photo_id: str) -> str:
    """A short-lived URL of the photo's bytes (one GetItem)."""
    campaign = _public_campaign(store_code, campaign_id)
    return _link(campaign.photos[_photo_index(campaign, photo_id)])


def remove_photo(store_code: str, campaign_id: str, photo_id: str) -> None:
    def plan(campaign: CampaignModel) -> Change:
        index = _photo_index(campaign, photo_id)
        at = CampaignModel.photos[index]
        return [at.remove()], at.photo_id == photo_id, campaign.photos[index]

    removed = _change(store_code, campaign_id, plan)
    if removed is not None:
        _discard(removed)


# -- brand icon ----------------------------------------------------------------------------
def set_brand_icon(
    store_code: str, campaign_id: str, data: bytes | None, name: str | None = None
) -> Photo:
    """Store the campaign's brand icon, replacing (and then deleting) the one it had."""
    icon = _upload(BRAND_ICONS, "brand_icon", store_code, campaign_id, data, name)

    def plan(campaign: CampaignModel) -> Change:
        old = campaign.brand_icon
        return [CampaignModel.brand_icon.set(icon)], _brand_icon_is(old), old

    with _undone_on_failure(icon):
        replaced = _change(store_code, campaign_id, plan)
    if replaced is not None:
        _discard(replaced)
    return Photo.of(icon)


def brand_icon_link(store_code: str, campaign_id: str) -> str:
    """A short-lived URL of the brand icon's bytes (one GetItem)."""
    return _link(_brand_icon(_public_campaign(store_code, campaign_id)))


def remove_brand_icon(store_code: str, campaign_id: str) -> None:
    def plan(campaign: CampaignModel) -> Change:
        old = _brand_icon(campaign)
        return [CampaignModel.brand_icon.remove()], _brand_icon_is(old), old

    removed = _change(store_code, campaign_id, plan)
    if removed is not None:
        _discard(removed)
