"""The faces of the API on the app, each loaded on the first request it serves.

Chalice needs every route at import, but importing every face (its services, its models) is
most of a cold start, and an instance mostly serves a few routes. So `register` puts on the app
a stand-in for each route of `ROUTE_TABLE`, with the face's own path, method, name and content
types: Chalice, API Gateway and `chalice local` see the API as declared. A stand-in's first call
imports its face, which then answers that request and every later one.

`ROUTE_TABLE` (routes.json) is written from the faces themselves by `make routes`
(`python -m chalicelib.api.faces`); a test fails when it differs from what the faces declare.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from functools import cached_property
from importlib import import_module
from pathlib import Path
from typing import TYPE_CHECKING, Any

from chalicelib.cold_start import loading

if TYPE_CHECKING:
    from chalice import Chalice, Response

    from chalicelib.api.routes import RouteDoc, Routes

# In the order of the document's sections; a face's routes in the order it declares them.
FACES = tuple(
    f"chalicelib.api.{name}"
    for name in (
        "admin.health",
        "openloyalty.auth",
        "openloyalty.registration",
        "alpha.recipients",
        "alpha.balances",
        "coggins.points",
        "coggins.claims",
        "imonggo.customers",
        "imonggo.customer_types",
        "imonggo.spending",
        "admin.ledger",
        "openloyalty.campaigns",
        "openloyalty.targeting",
        "openloyalty.media",
        "mokugift.issuing",
        "mokugift.queries",
        "mokugift.passcodes",
        "mokugift.rewards",
        "pages.reward_link",
        "openloyalty.buying",
        "openloyalty.bought",
        "openloyalty.purchases",
        "openloyalty.cashback",
        "admin.jobs",
        "admin.docs",
        "admin.events",
        "admin.webhooks",
    )
)
ROUTE_TABLE = Path(__file__).with_name("routes.json")


def routes_of(face: str) -> Routes:
    """The face's routes, its module imported on first use as the app's are (chalicelib/
    cold_start.py); Python's import lock makes that safe from two threads."""
    with loading():
        routes: Routes = import_module(face).routes
    return routes


def route_table() -> list[dict[str, Any]]:
    """What every face declares, as `ROUTE_TABLE` keeps it (imports every face)."""
    return [
        {
            "face": face,
            "path": declared.path,
            "method": declared.method,
            "name": declared.name,
            "content_types": list(declared.content_types),
            "doc": declared.view.__doc__,  # Chalice's summary of the route in API Gateway
        }
        for face in FACES
        for declared in routes_of(face).declared
    ]


class StandIn:
    """The view of one route until its face is loaded, then the way to it."""

    def __init__(self, app: Chalice, route: dict[str, Any]) -> None:
        self.app = app
        self.face = route["face"]
        self.path = route["path"]
        self.method = route["method"]
        # What Chalice reads of a view: the handler's name, and its docstring for API Gateway.
        self.__name__ = route["name"]
        self.__doc__ = route["doc"]

    @cached_property
    def view(self) -> Any:
        routes = routes_of(self.face)
        routes.serve(self.app)
        return routes.view(self.path, self.method)

    @property
    def route_doc(self) -> RouteDoc:
        """What the route declares (chalicelib/api/openapi.py); loads the face."""
        doc: RouteDoc = self.view.route_doc
        return doc

    def __call__(self, **params: str) -> Response:
        answer: Response = self.view(**params)
        return answer


def add_route(
    app: Chalice, path: str, method: str, name: str, content_types: Sequence[str], view: Any
) -> None:
    """One method of one route on `app`, with the face's name and content types."""
    app.route(path, methods=[method], content_types=list(content_types), name=name)(view)


def register(app: Chalice) -> None:
    """Put every route of `ROUTE_TABLE` on `app`, each face to be loaded when first asked."""
    for route in json.loads(ROUTE_TABLE.read_text(encoding="utf-8")):
        view = StandIn(app, route)
        add_route(app, route["path"], route["method"], route["name"], route["content_types"], view)


def write_route_table() -> None:
    rows = ",\n".join(json.dumps(route) for route in route_table())  # a route a line, for diffs
    ROUTE_TABLE.write_text(f"[\n{rows}\n]\n", encoding="utf-8")


if __name__ == "__main__":
    write_route_table()
    print(f"{ROUTE_TABLE.name}: {len(route_table())} routes", file=sys.stderr)
