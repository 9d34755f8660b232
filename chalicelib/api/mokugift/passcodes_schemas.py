"""Answers of a campaign's Mokugift settings (chalicelib/api/mokugift/passcodes.py), mapped from
the domain's values (`domain.rewards.issuing.NewPasscode`, `PublicQueries`)."""

from pydantic import Field

from chalicelib.api.schemas import ResponseModel


class Passcode(ResponseModel):
    campaignId: str = Field(validation_alias="campaign_id")
    passcode: str = Field(description="Shown once; the previous passcode stops working.")


class PublicQueries(ResponseModel):
    campaignId: str = Field(validation_alias="campaign_id")
    publicQueries: bool = Field(
        validation_alias="public_queries",
        description="Whether anyone may query the campaign's rewards.",
    )
