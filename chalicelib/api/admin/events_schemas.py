"""The answers of the event log (chalicelib/api/admin/events.py)."""

from typing import Any

from pydantic import Field

from chalicelib.api.schemas import ResponseModel, Timestamp


class EventBody(ResponseModel):
    id: str = Field(description="Stable; sorts by time. A webhook delivery carries the same id.")
    type: str = Field(description="Dotted, object first: `points.spent`, `claim.claimed`, ...")
    createdAt: Timestamp
    data: dict[str, Any] = Field(description="The object the event is about, as the API shows it.")


class EventList(ResponseModel):
    events: list[EventBody] = Field(description="Newest first.")
    nextCursor: str | None = Field(
        description="Pass as `cursor` for the next page; null on the last page."
    )


class Redelivery(ResponseModel):
    eventId: str
    webhooks: list[str] = Field(description="The endpoints the event is queued for.")
