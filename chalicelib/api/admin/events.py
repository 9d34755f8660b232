"""The event log: what happened in the caller's store, for a client that was down to catch up.

`GET /events?type=&since=&cursor=&limit=` (admin JWT or store API key) answers
`{"events": [{"id", "type", "createdAt", "data"}], "nextCursor"}`, newest first; `since` is an
ISO 8601 instant with its offset, `type` one of the types webhooks subscribe to (else a 400
`unknown_event_type`). `GET /events/{id}` answers one event, or a 404 `event_not_found`.
Events are kept at least 30 days. `POST /events/{id}/redeliver` queues the event again for
every enabled endpoint subscribed to its type: 202 `{"eventId", "webhooks": [ids]}`.
"""

from __future__ import annotations

from chalicelib.api.admin.events_schemas import EventBody, EventList, Redelivery
from chalicelib.api.request import ApiRequest
from chalicelib.api.routes import Routes
from chalicelib.domain.access.auth import Role
from chalicelib.domain.errors import InvalidInputError, MalformedRequestError
from chalicelib.domain.events import event_log, webhook_deliveries
from chalicelib.domain.events.event_log import EventsQuery

routes = Routes(__name__)


@routes.route(
    "/events",
    roles=(Role.ADMIN, Role.STORE),
    summary="The store's events, newest first, by type and time",
    errors=(InvalidInputError, MalformedRequestError, event_log.UnknownEventTypeError),
)
def list_events(request: ApiRequest, query: EventsQuery) -> EventList:
    return event_log.list_events(request.store_code, query)


@routes.route(
    "/events/{event_id}",
    roles=(Role.ADMIN, Role.STORE),
    summary="One event of the store",
    errors=(event_log.EventNotFoundError,),
)
def get_event(request: ApiRequest, event_id: str) -> EventBody:
    return event_log.get_event(request.store_code, event_id)


@routes.route(
    "/events/{event_id}/redeliver",
    methods=["POST"],
    roles=(Role.ADMIN, Role.STORE),
    status=202,
    summary="Deliver an event again to every endpoint subscribed to its type",
    errors=(event_log.EventNotFoundError,),
)
def redeliver(request: ApiRequest, event_id: str) -> Redelivery:
    return webhook_deliveries.redeliver(request.store_code, event_id)
