"""Answers of a store's reward endpoints (chalicelib/api/mokugift/rewards.py): a reward and its
email."""

from pydantic import Field

from chalicelib.api.mokugift.issuing_schemas import IssuedReward
from chalicelib.api.schemas import ResponseModel, Timestamp


class EmailEvent(ResponseModel):
    at: Timestamp
    status: str = Field(
        description=(
            "`queued`, `sending`, `sent` or `failed`; in the sandbox also `complaint` (after "
            "`sent`, for SES's complaint simulator address)."
        )
    )
    detail: str | None = Field(description="The SES message id, the error, or the new address.")


class RewardDelivery(IssuedReward):
    """The reward as the Mokugift queries show it, with its email's delivery history."""

    customerId: str
    emailMessageId: str | None = Field(description="The SES message id, once sent.")
    attempts: int = Field(description="Email sending attempts so far.")
    history: list[EmailEvent] = Field(description="Oldest first.")


class RenderedEmail(ResponseModel):
    from_: str = Field(alias="from", description="The sender, `Store name <address>`.")
    to: str
    subject: str
    html: str
    text: str = Field(description="The plain-text part.")


class SandboxDelivery(RewardDelivery):
    """A sandbox reward, its simulated delivery, and its email as rendered (never sent)."""

    renderedEmail: RenderedEmail | None = Field(
        description="Null for a reward sent by URL, or whose email could not be rendered."
    )
