"""Answers of a store's reward endpoints (chalicelib/api/mokugift/rewards.py): a reward and its
email, mapped from the domain's `domain.rewards.reward.Reward`."""

from pydantic import Field

from chalicelib.api.mokugift.issuing_schemas import IssuedReward, Time
from chalicelib.api.schemas import ResponseModel


class EmailEvent(ResponseModel):
    at: Time
    status: str = Field(
        description=(
            "`queued`, `sending`, `sent` or `failed`; in the sandbox also `complaint` (after "
            "`sent`, for SES's complaint simulator address)."
        )
    )
    detail: str | None = Field(description="The SES message id, the error, or the new address.")


class RewardDelivery(IssuedReward):
    """The reward as the Mokugift queries show it, with its email's delivery history."""

    customerId: str = Field(validation_alias="customer_id")
    emailMessageId: str | None = Field(
        validation_alias="email_message_id", description="The SES message id, once sent."
    )
    attempts: int = Field(
        validation_alias="email_attempts", description="Email sending attempts so far."
    )
    history: list[EmailEvent] = Field(validation_alias="email_history", description="Oldest first.")


class RenderedEmail(ResponseModel):
    from_: str = Field(
        validation_alias="sender",
        serialization_alias="from",
        description="The sender, `Store name <address>`.",
    )
    to: str = Field(validation_alias="recipient")
    subject: str
    html: str
    text: str = Field(description="The plain-text part.")


class SandboxDelivery(RewardDelivery):
    """A sandbox reward, its simulated delivery, and its email as rendered (never sent)."""

    renderedEmail: RenderedEmail | None = Field(
        validation_alias="sandbox_email",
        description="Null for a reward sent by URL, or whose email could not be rendered.",
    )
