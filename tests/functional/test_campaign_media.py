"""Campaign photos and brand icons through the app: checked by content, bytes in S3 only."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from botocore.exceptions import ClientError
from urllib3.filepost import encode_multipart_formdata

from chalicelib import aws
from chalicelib.config import get_settings
from chalicelib.domain.access.auth import Role
from chalicelib.domain.catalog import campaigns, media
from chalicelib.storage.campaigns import CampaignModel
from tests.fixtures.campaigns import png
from tests.fixtures.clients import API_KEY, OTHER_STORE, RACE_STORE, STORE, body_of, token_for
from tests.fixtures.factories import make_campaign

GIF = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00!\xf9\x04\x01\x00\x00\x00\x00"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9"
WEBP = b"RIFF\x1a\x00\x00\x00WEBPVP8L\x0d\x00\x00\x00\x2f\x00\x00\x00\x10\x07\x10\x11\x11\x88\x88"
NOT_FOUND = {"code": 404, "message": "Not Found"}


def admin(store_code: str = STORE, role: Role = Role.ADMIN) -> dict[str, str]:
    return {"Authorization": f"Bearer {token_for(role, store_code)}", "Accept": "*/*"}


def upload(
    client: Any,
    campaign_id: str,
    data: bytes,
    kind: str = "photo",
    filename: str = "Photo.png",
    headers: dict[str, str] | None = None,
    store_code: str = STORE,
) -> Any:
    body, content_type = encode_multipart_formdata(
        [("other", "ignored"), (f"{kind}[file]", (filename, data, "image/png"))]
    )
    return client.post(
        f"/api/{store_code}/campaign/{campaign_id}/{kind}",
        body=body,
        headers={**(headers or admin()), "Content-Type": content_type},
    )


def objects(prefix: str = "") -> dict[str, dict[str, Any]]:
    """Every object of the media bucket under `prefix`, with its head."""
    s3 = aws.client("s3")
    bucket = get_settings().bucket_name("media")
    listed = s3.list_objects_v2(Bucket=bucket, Prefix=prefix).get("Contents", [])
    return {item["Key"]: s3.head_object(Bucket=bucket, Key=item["Key"]) for item in listed}


def stored(campaign: CampaignModel) -> CampaignModel:
    return CampaignModel.get(campaign.store_code, campaign.campaign_id, consistent_read=True)


def photo_url(campaign: CampaignModel, photo_id: str, store_code: str = STORE) -> str:
    return f"/api/{store_code}/campaign/{campaign.campaign_id}/photo/{photo_id}"


def follow(client: Any, url: str, headers: dict[str, str] | None = None) -> requests.Response:
    """GET the image as the document's client does (`Accept: application/json`, any or no
    credential): a 302, whose Location answers the bytes (moto serves the presigned URL)."""
    asked = client.get(url, headers={"Accept": "application/json", **(headers or {})})
    assert asked.status_code == 302, asked.body
    assert asked.body == b""
    return requests.get(asked.headers["Location"], timeout=10)


def add_photos(campaign: CampaignModel, count: int) -> list[str]:
    return [
        media.add_photo(campaign.store_code, campaign.campaign_id, png(), f"{n}.png").photo_id
        for n in range(count)
    ]


# -- photos --------------------------------------------------------------------------------
def test_a_3_mb_png_comes_back_byte_for_byte_with_its_type(client: Any) -> None:
    campaign = make_campaign()
    image = png(1024, 1000)
    assert 3_000_000 < len(image) < media.MAX_FILE_SIZE

    response = upload(client, campaign.campaign_id, image, filename="C:\\fakepath\\Photo.png")

    assert response.status_code == 200, response.body
    photo_id = body_of(response)["photoId"]
    read = follow(client, photo_url(campaign, photo_id))
    assert read.status_code == 200
    assert read.headers["Content-Type"] == "image/png"
    assert read.content == image
    [photo] = stored(campaign).photos
    assert (photo.photo_id, photo.mime_type, photo.size) == (photo_id, "image/png", len(image))
    assert photo.original_name == "Photo.png"
    assert photo.path == f"campaign_photos/{STORE}/{campaign.campaign_id}/{photo_id}"
    head = objects()[photo.path]
    assert (head["ContentType"], head["ServerSideEncryption"]) == ("image/png", "AES256")


@pytest.mark.parametrize(
    ("data", "mime_type"),
    [(GIF, "image/gif"), (JPEG, "image/jpeg"), (WEBP, "image/webp")],
    ids=["gif", "jpeg", "webp"],
)
def test_the_type_comes_from_the_bytes_not_the_name(
    client: Any, data: bytes, mime_type: str
) -> None:
    campaign = make_campaign()

    photo_id = body_of(upload(client, campaign.campaign_id, data, filename="x.png"))["photoId"]

    read = follow(client, photo_url(campaign, photo_id))
    assert (read.headers["Content-Type"], read.content) == (mime_type, data)


def test_a_text_file_named_png_is_refused_and_nothing_is_stored(client: Any) -> None:
    campaign = make_campaign()

    response = upload(client, campaign.campaign_id, b"just some text\n", filename="evil.png")

    assert response.status_code == 400
    body = body_of(response)
    assert body["code"] == "unsupported_image"
    assert body["form"]["children"]["photo"]["children"]["file"]["errors"]
    assert objects() == {}
    assert stored(campaign).photos == []


def test_a_form_without_the_file_gets_the_form_error(client: Any) -> None:
    campaign = make_campaign()
    # The document's own example: a file path as form text, no file.
    response = client.post(
        f"/api/{STORE}/campaign/{campaign.campaign_id}/photo",
        body="photo[file]=C:\\fakepath\\Photo.png",
        headers={**admin(), "Content-Type": "application/x-www-form-urlencoded"},
    )

    assert response.status_code == 400
    assert body_of(response)["form"]["children"]["photo"]["children"]["file"]["errors"]
    assert objects() == {}


def test_a_file_over_4_mb_is_413_and_nothing_is_stored(client: Any) -> None:
    campaign = make_campaign()
    too_big = png() + b"\0" * media.MAX_FILE_SIZE

    response = upload(client, campaign.campaign_id, too_big)

    assert response.status_code == 413
    assert body_of(response)["code"] == "payload_too_large"
    assert objects() == {}
    assert stored(campaign).photos == []


def test_a_body_over_the_cap_is_413_before_it_is_parsed(client: Any) -> None:
    campaign = make_campaign()

    response = client.post(
        f"/api/{STORE}/campaign/{campaign.campaign_id}/photo",
        body=b"x" * (2 * media.MAX_FILE_SIZE),
        headers={**admin(), "Content-Type": "multipart/form-data; boundary=unparsed"},
    )

    assert response.status_code == 413


def test_an_upload_to_a_missing_campaign_is_404_and_leaves_no_object(client: Any) -> None:
    make_campaign()

    response = upload(client, "no-such-campaign", png())

    assert response.status_code == 404
    assert body_of(response)["code"] == "campaign_not_found"
    assert objects() == {}


def test_photos_are_capped_and_the_refused_upload_leaves_no_object(client: Any) -> None:
    campaign = make_campaign()
    kept = add_photos(campaign, media.MAX_PHOTOS)

    response = upload(client, campaign.campaign_id, png())

    assert response.status_code == 409
    assert body_of(response)["code"] == "too_many_photos"
    assert [photo.photo_id for photo in stored(campaign).photos] == kept
    assert len(objects()) == media.MAX_PHOTOS


def test_delete_removes_the_list_entry_and_the_object(client: Any) -> None:
    campaign = make_campaign()
    first, second = add_photos(campaign, 2)
    path = stored(campaign).photos[0].path

    response = client.delete(photo_url(campaign, first), headers=admin())

    assert response.status_code == 204
    assert [photo.photo_id for photo in stored(campaign).photos] == [second]
    assert path not in objects() and len(objects()) == 1
    gone = client.get(photo_url(campaign, first), headers=admin())
    assert gone.status_code == 404
    assert body_of(gone)["error"] == NOT_FOUND
    assert client.delete(photo_url(campaign, first), headers=admin()).status_code == 404


def test_an_unknown_photo_is_404_in_the_documents_shape(client: Any) -> None:
    campaign = make_campaign()

    response = client.get(photo_url(campaign, "no-such-photo"), headers=admin())

    assert response.status_code == 404
    assert body_of(response)["error"] == NOT_FOUND
    assert body_of(response)["code"] == "photo_not_found"


def test_delete_after_a_concurrent_change_removes_the_right_photo(
    store: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    campaign = make_campaign()
    a, b, c = add_photos(campaign, 3)
    stale = stored(campaign)  # read before A goes: B is at index 1, where C will be
    media.remove_photo(STORE, campaign.campaign_id, a)
    reads = []

    def read_stale_first(store_code: str, campaign_id: str) -> CampaignModel:
        reads.append(campaign_id)
        return stale if len(reads) == 1 else campaigns.get_campaign(store_code, campaign_id)

    monkeypatch.setattr(media, "get_campaign", read_stale_first)
    media.remove_photo(STORE, campaign.campaign_id, b)

    assert len(reads) == 2
    assert [photo.photo_id for photo in stored(campaign).photos] == [c]
    assert list(objects()) == [stored(campaign).photos[0].path]


def test_delete_gives_up_with_409_when_the_campaign_keeps_changing(
    store: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    campaign = make_campaign()
    a, b = add_photos(campaign, 2)
    stale = stored(campaign)
    media.remove_photo(STORE, campaign.campaign_id, a)
    monkeypatch.setattr(media, "get_campaign", lambda store_code, campaign_id: stale)

    with pytest.raises(media.MediaChangedError):
        media.remove_photo(STORE, campaign.campaign_id, b)

    assert [photo.photo_id for photo in stored(campaign).photos] == [b]


def test_a_photo_whose_object_is_gone_is_refused_by_s3(client: Any) -> None:
    """The item points at an object only once it is stored (see chalicelib.domain.catalog.media);
    one
    deleted behind the service's back is refused where the bytes are fetched."""
    campaign = make_campaign()
    [photo_id] = add_photos(campaign, 1)
    s3 = aws.client("s3")
    s3.delete_object(
        Bucket=get_settings().bucket_name("media"), Key=stored(campaign).photos[0].path
    )

    assert follow(client, photo_url(campaign, photo_id)).status_code in (403, 404)


def test_removal_stands_when_the_object_cannot_be_deleted(
    client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    campaign = make_campaign()
    [photo_id] = add_photos(campaign, 1)

    def refuse(**_: Any) -> None:
        raise ClientError({"Error": {"Code": "SlowDown"}}, "DeleteObject")

    monkeypatch.setattr(aws.client("s3"), "delete_object", refuse)
    response = client.delete(photo_url(campaign, photo_id), headers=admin())

    # The item no longer points at the object; what is left is unreachable, not broken.
    assert response.status_code == 204
    assert stored(campaign).photos == []
    assert len(objects()) == 1


# -- brand icon ----------------------------------------------------------------------------
def test_brand_icon_upload_read_replace_and_remove(client: Any) -> None:
    campaign = make_campaign()
    url = f"/api/{STORE}/campaign/{campaign.campaign_id}/brand_icon"
    first, second = png(), GIF

    assert upload(client, campaign.campaign_id, first, kind="brand_icon").status_code == 204
    old_path = stored(campaign).brand_icon.path
    assert follow(client, url).content == first

    assert upload(client, campaign.campaign_id, second, kind="brand_icon").status_code == 204
    icon = stored(campaign).brand_icon
    assert list(objects()) == [icon.path] != [old_path]
    read = follow(client, url)
    assert (read.headers["Content-Type"], read.content) == ("image/gif", second)

    assert client.delete(url, headers=admin()).status_code == 204
    assert stored(campaign).brand_icon is None
    assert objects() == {}
    gone = client.get(url, headers=admin())
    assert gone.status_code == 404
    assert body_of(gone)["error"] == NOT_FOUND
    assert client.delete(url, headers=admin()).status_code == 404


def test_a_refused_brand_icon_keeps_the_old_one(client: Any) -> None:
    campaign = make_campaign()
    upload(client, campaign.campaign_id, GIF, kind="brand_icon")
    icon = stored(campaign).brand_icon

    response = upload(client, campaign.campaign_id, b"%PDF-1.7", kind="brand_icon")

    assert response.status_code == 400
    assert body_of(response)["form"]["children"]["brand_icon"]["children"]["file"]["errors"]
    assert stored(campaign).brand_icon.photo_id == icon.photo_id
    assert list(objects()) == [icon.path]


# -- who may ---------------------------------------------------------------------------------
@pytest.mark.parametrize("role", [Role.SELLER, Role.CUSTOMER], ids=["seller", "customer"])
def test_only_an_admin_uploads_or_deletes(client: Any, role: Role) -> None:
    campaign = make_campaign()
    [photo_id] = add_photos(campaign, 1)

    assert upload(client, campaign.campaign_id, png(), headers=admin(role=role)).status_code == 403
    assert client.delete(photo_url(campaign, photo_id), headers=admin(role=role)).status_code == 403
    assert len(stored(campaign).photos) == 1 and len(objects()) == 1


@pytest.mark.parametrize(
    "role", [None, Role.ADMIN, Role.SELLER, Role.CUSTOMER, Role.STORE], ids=str
)
def test_anyone_reads_photos_and_brand_icons(client: Any, role: Role | None) -> None:
    """Open Loyalty's own tests read them with no login; a credential sent is not looked at,
    not even a broken one."""
    campaign = make_campaign()
    [photo_id] = add_photos(campaign, 1)
    media.set_brand_icon(STORE, campaign.campaign_id, GIF)
    headers = (
        {}
        if role is None
        else {"Authorization": f"Bearer {API_KEY}"}
        if role is Role.STORE
        else admin(role=role)
    )
    icon = f"/api/{STORE}/campaign/{campaign.campaign_id}/brand_icon"

    assert follow(client, photo_url(campaign, photo_id), headers).status_code == 200
    assert follow(client, icon, headers).content == GIF
    assert follow(client, icon, {"Authorization": "Bearer expired.or.forged"}).content == GIF


def test_the_link_expires_soon_and_names_the_checked_type(client: Any) -> None:
    campaign = make_campaign()
    [photo_id] = add_photos(campaign, 1)

    asked = client.get(photo_url(campaign, photo_id), headers={"Accept": "application/json"})

    query = parse_qs(urlsplit(asked.headers["Location"]).query)
    assert query["X-Amz-Expires"] == [str(media.LINK_SECONDS)]
    assert query["X-Amz-Algorithm"] == ["AWS4-HMAC-SHA256"]
    assert query["response-content-type"] == ["image/png"]
    assert int(asked.headers["Cache-Control"].rpartition("=")[2]) < media.LINK_SECONDS


@pytest.mark.parametrize("store_code", ["NO_SUCH_STORE", "x" * 200, "a%20b"])
def test_a_store_that_cannot_be_named_is_404(client: Any, store_code: str) -> None:
    campaign = make_campaign()
    [photo_id] = add_photos(campaign, 1)

    response = client.get(photo_url(campaign, photo_id, store_code))

    assert response.status_code == 404


def test_another_stores_admin_cannot_read_or_change_the_media(client: Any) -> None:
    campaign = make_campaign()
    [photo_id] = add_photos(campaign, 1)
    media.set_brand_icon(STORE, campaign.campaign_id, GIF)
    other = admin(OTHER_STORE)
    before = set(objects())

    # Through DEFAULT's paths the credential is of the wrong store; through its own, the
    # campaign does not exist. Reading is anyone's, so only its own paths find nothing.
    for store_code, status in ((STORE, 403), (OTHER_STORE, 404)):
        url = photo_url(campaign, photo_id, store_code)
        icon = f"/api/{store_code}/campaign/{campaign.campaign_id}/brand_icon"
        assert client.delete(url, headers=other).status_code == status
        assert client.delete(icon, headers=other).status_code == status
        changed = upload(client, campaign.campaign_id, png(), headers=other, store_code=store_code)
        assert changed.status_code == status

    assert set(objects()) == before
    assert len(stored(campaign).photos) == 1 and stored(campaign).brand_icon is not None
    own = photo_url(campaign, photo_id, OTHER_STORE)
    assert client.get(own, headers=other).status_code == 404
    icon = f"/api/{OTHER_STORE}/campaign/{campaign.campaign_id}/brand_icon"
    assert client.get(icon, headers=other).status_code == 404


@pytest.mark.parametrize("accept", ["application/json", "*/*", "image/png", None])
def test_every_accept_gets_the_redirect(client: Any, accept: str | None) -> None:
    """API Gateway would answer a binary body only to an `Accept` admitting it; the redirect
    has none, so the document's `Accept: application/json` gets the image too."""
    campaign = make_campaign()
    [photo_id] = add_photos(campaign, 1)
    headers = {} if accept is None else {"Accept": accept}

    response = client.get(photo_url(campaign, photo_id), headers=headers)

    assert response.status_code == 302
    assert requests.get(response.headers["Location"], timeout=10).status_code == 200


# -- the rules on their own ----------------------------------------------------------------
@pytest.mark.parametrize(
    ("data", "mime_type"),
    [
        (png(), "image/png"),
        (JPEG, "image/jpeg"),
        (b"GIF87a" + GIF[6:], "image/gif"),
        (WEBP, "image/webp"),
        (b"RIFF\x1a\x00\x00\x00AVI LIST", None),  # RIFF, but not WebP
        (b"\x89PNG", None),  # a truncated signature
        (b"<svg xmlns='http://www.w3.org/2000/svg'/>", None),
        (b"", None),
    ],
    ids=["png", "jpeg", "gif87a", "webp", "avi", "truncated-png", "svg", "empty"],
)
def test_image_type_reads_the_signature(data: bytes, mime_type: str | None) -> None:
    assert media.image_type(data) == mime_type


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("C:\\fakepath\\Photo.png", "Photo.png"),
        ("../../etc/passwd", "passwd"),
        ("line\r\nbreak.png", "linebreak.png"),
        ("x" * 300 + ".png", "x" * media.MAX_NAME_LENGTH),
        ("", None),
        (None, None),
        ("folder/", None),
    ],
    ids=["windows-path", "posix-path", "control-chars", "too-long", "empty", "none", "no-name"],
)
def test_the_original_name_keeps_only_a_printable_base_name(
    given: str | None, kept: str | None
) -> None:
    assert media.original_name(given) == kept


# -- the local stack's S3 --------------------------------------------------------------------
def test_the_embedded_aws_gives_a_url_the_client_follows(served_aws: dict[str, str]) -> None:
    """As `make run` serves it: the Location is the embedded AWS's own address (path style on
    127.0.0.1), which the client reaches and which answers the bytes with their type."""
    from chalice.test import Client

    from app import app

    campaign = make_campaign(store_code=RACE_STORE)
    image = png()
    photo = media.add_photo(RACE_STORE, campaign.campaign_id, image, "a.png")

    with Client(app) as test_client:
        asked = test_client.http.get(
            photo_url(campaign, photo.photo_id, RACE_STORE),
            headers={"Accept": "application/json"},
        )

    location = asked.headers["Location"]
    assert asked.status_code == 302
    assert location.startswith(served_aws["AWS_ENDPOINT_URL"] + "/")
    read = requests.get(location, timeout=10)
    assert (read.status_code, read.headers["Content-Type"], read.content) == (
        200,
        "image/png",
        image,
    )
