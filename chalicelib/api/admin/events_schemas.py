"""The answers of the event log (chalicelib/api/admin/events.py).

An event's wire form is the domain's own (`Event.body()`): it is also the body a webhook
delivery signs, so the two cannot differ.
"""

from datetime import datetime
from typing import Annotated, Any

from pydantic import BeforeValidator, Field, model_validator

from chalicelib.api.schemas import ResponseModel, Timestamp
from chalicelib.domain.events.event_log import Event, iso


def _iso(value: Any) -> Any:
    return iso(value) if isinstance(value, datetime) else value


# A domain instant as the event log writes it: UTC, `Z`.
Instant = Annotated[Timestamp, BeforeValidator(_iso)]


class EventBody(ResponseModel):
    id: str = Field(description="Stable; sorts by time. A webhook delivery carries the same id.")
    type: str = Field(description="Dotted, object first: `points.spent`, `claim.claimed`, ...")
    createdAt: Timestamp
    data: dict[str, Any] = Field(description="The object the event is about, as the API shows it.")

    @model_validator(mode="before")
    @classmethod
    def _of_event(cls, value: Any) -> Any:
        return value.body() if isinstance(value, Event) else value


class EventList(ResponseModel):
    events: list[EventBody] = Field(description="Newest first.")
    nextCursor: str | None = Field(
        validation_alias="next_cursor",
        description="Pass as `cursor` for the next page; null on the last page.",
    )


class Redelivery(ResponseModel):
    eventId: str = Field(validation_alias="event_id")
    webhooks: list[str] = Field(description="The endpoints the event is queued for.")
