"""The answers of the campaign photo and brand icon uploads (chalicelib/api/openloyalty/media.py).

The images themselves are answered as their bytes (`image/*`), not JSON; only adding a photo
answers a body, the id to fetch or remove it by.
"""

from pydantic import ConfigDict, Field

from chalicelib.api.schemas import ResponseModel


class PhotoId(ResponseModel):
    """The photo added."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"photoId": "08ae48fd-04b0-4a08-a2a7-fcfca3c4caf5"}]}
    )

    photoId: str = Field(
        validation_alias="photo_id",
        description="Get the image at `.../campaign/{campaign}/photo/{photoId}`.",
    )
