"""Answers of the login endpoints (chalicelib/api/openloyalty/auth.py)."""

from pydantic import Field

from chalicelib.api.schemas import ResponseModel


class Token(ResponseModel):
    token: str = Field(
        description=(
            "A JWT for `Authorization: Bearer <token>`, naming the store, the role and the user; "
            "it expires after the configured lifetime (an hour by default)."
        )
    )
    refresh_token: str = Field(
        description=(
            "Trades once at `POST /api/token/refresh` for a new `token` and a new "
            "`refresh_token`; expires after 30 days by default. A used one presented again "
            "ends the whole session."
        )
    )
