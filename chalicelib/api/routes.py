"""The request pipeline shared by every route: authenticate, the Idempotency-Key, run the
handler, render errors.

`Routes` holds the routes of one face. A handler declares its path, methods and accepted roles
and receives an `ApiRequest`; it returns a body (serialised as JSON) or a Chalice `Response`.
The face's views are put on the app by chalicelib/api/faces.py, which loads a face on the first
request it serves; each view reads the request of the app the face serves (`Routes.serve`).
A handler's typed `body` and `query` parameters and its answer's model come from its
annotations (chalicelib/api/signature.py). A route that declares a `response_model` (or whose
handler's return annotation is a model) has its body shaped by that model: validated, keys
renamed to their aliases, and only the keys the handler set kept, so the documented schema is
the one clients receive. Domain errors become 4xx bodies here, so handlers stay a line or two.
What a route declares is also recorded on its view as a `RouteDoc`, the source of the OpenAPI
document (chalicelib/api/openapi.py). Any mutating request with `dryRun=true` runs its handler as
a dry run (chalicelib/dry_run.py: nothing written or sent, no Idempotency-Key kept) and its
answer says so (`marked_dry_run`).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from chalice import Chalice, Response
from chalice.app import Request

from chalicelib import dry_run
from chalicelib.api import idempotency
from chalicelib.api.errors import (
    ErrorRenderer,
    ErrorStatus,
    default_error_body,
    error_response,
    status_of,
    unavailable,
)
from chalicelib.api.logging import logger
from chalicelib.api.request import BODY_TYPES, ApiRequest, check_body_size
from chalicelib.api.schemas import dump
from chalicelib.api.security import authenticate
from chalicelib.api.signature import Handler, Signature
from chalicelib.domain.access.auth import Role
from chalicelib.domain.errors import InvalidInputError, RequestInProgressError, RewardsError
from chalicelib.storage.idempotency import BulkProgress, ProgressTakenError

if TYPE_CHECKING:
    from pydantic import BaseModel

# A route's own answer to an error of a request whose contract has one (Mokugift's original
# contract: its XML error document); None: the face's JSON error.
ErrorAnswer = Callable[[Request, RewardsError], Response | None]
# A route's own rendering of its answer model, for a contract whose bytes JSON cannot give
# (Imonggo's XML, and its JSON's `2000.0` decimals); None: JSON.
Render = Callable[[Request, "BaseModel"], Response]
# The roles of a route (None: public), by its path and methods.
Access = Callable[[str, Sequence[str]], "tuple[Role, ...] | None"]
JSON = "application/json"
NO_STORE = {"Cache-Control": "no-store"}  # RFC 9111: no cache may keep it (RFC 6749 5.1 tokens)


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        # Whole amounts stay integers; others keep their exact digits as a JSON number.
        return int(value) if value == value.to_integral_value() else float(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(
        body=json.dumps(body, default=_json_default),
        status_code=status,
        headers={"Content-Type": JSON, **(headers or {})},
    )


@dataclass(frozen=True)
class RouteDoc:
    """What a route declares, kept for the API description; requests never read it."""

    handler: Handler
    routes: Routes
    roles: tuple[Role, ...] | None
    status: int
    summary: str | None = None
    request_model: type[BaseModel] | None = None
    response_model: type[BaseModel] | None = None
    response_type: str = JSON
    errors: tuple[type[RewardsError], ...] = ()
    query_model: type[BaseModel] | None = None
    body_key: str | None = None
    also_answers: tuple[str, ...] = ()
    form_model: type[BaseModel] | None = None
    render_error: ErrorRenderer | None = None  # the route's own JSON error shape, if not the face's
    answer_error: ErrorAnswer | None = None  # see `Routes.route`
    render: Render | None = None  # see `Routes.route`

    @property
    def answer_types(self) -> tuple[str, ...]:
        """Every media type the route answers in, its default first."""
        return (self.response_type, *self.also_answers)


def shaped(response_model: type[BaseModel], body: Any) -> Any:
    """`body` as `response_model` describes it: checked, aliased, nothing the handler left out.

    `body` is the domain's value (a dataclass, read by attribute) or a dict; the model maps it
    to the wire once. A mismatch is a bug in the service, not the client's fault: it raises (a
    500), and the test suite, which goes through every route, is where it shows.
    """
    return dump(response_model.model_validate(body, from_attributes=True))


MUTATING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
DRY_RUN_HEADER = "Rewards-Dry-Run"


def dry_run_asked(request: ApiRequest) -> bool:
    """Whether a mutating request asks for a dry run (`dryRun=true` in its query); a value
    other than true or false is a 422 on the parameter."""
    if request.raw.method not in MUTATING:
        return False
    asked = request.query.get("dryRun")
    if asked is None or asked.lower() in ("false", "0"):
        return False
    if asked.lower() in ("true", "1"):
        return True
    raise InvalidInputError({"dryRun": ["The value must be true or false."]})


def marked_dry_run(response: Response) -> Response:
    """The answer of a dry run, saying so: its header, and `"dryRun": true` in a JSON object."""
    response.headers = {**(response.headers or {}), DRY_RUN_HEADER: "true"}
    kind = next((v for k, v in response.headers.items() if k.lower() == "content-type"), "")
    body = response.body
    if isinstance(body, dict):
        response.body = {"dryRun": True, **body}
    elif kind.startswith(JSON) and isinstance(body, str) and body.startswith("{"):
        # Spliced in, so the rest of the body keeps its exact bytes (numbers included).
        rest = body[1:].lstrip()
        response.body = '{"dryRun": true' + ("" if rest.startswith("}") else ", ") + rest
    return response


@dataclass(frozen=True)
class Declared:
    """One method of one route as Chalice and API Gateway see it, and the view that answers it."""

    path: str
    method: str
    name: str
    content_types: tuple[str, ...]
    view: Callable[..., Response]


def prefixed_name(prefix: str, name: str) -> str:
    """The route name of a handler answering under `prefix`: `/api/v1` + `get_x` -> `api_v1_get_x`
    (Chalice and the OpenAPI document want one name per path and method)."""
    return "_".join([*prefix.strip("/").replace("-", "_").split("/"), name])


class Routes:
    """The routes of one face of the spec, with its error shape.

    `also_under` are path prefixes under which every route of the face answers too, as its
    clients know it (Alpha's `/api/v1`): one declaration, one view, several paths. A face with
    an `access` table (chalicelib/api/openloyalty/access.py) takes each route's roles from it; its
    routes
    declare none themselves.
    """

    def __init__(
        self,
        import_name: str,
        render_error: ErrorRenderer = default_error_body,
        error_status: ErrorStatus = status_of,
        also_under: Sequence[str] = (),
        access: Access | None = None,
    ):
        self.face = import_name
        self.render_error = render_error
        self.error_status = error_status
        self.also_under = tuple(also_under)
        self.access = access
        self.declared: list[Declared] = []
        self.app: Chalice | None = None

    def serve(self, app: Chalice) -> None:
        """Answer from `app`: the views read its current request."""
        self.app = app

    def view(self, path: str, method: str) -> Callable[..., Response]:
        """The view of one declared method of one route."""
        return next(d.view for d in self.declared if (d.path, d.method) == (path, method))

    def _current_request(self) -> Request:
        if self.app is None:
            raise RuntimeError(f"{self.face} serves no app: see chalicelib/api/faces.py")
        return self.app.current_request

    def _error(self, error: RewardsError, render: ErrorRenderer | None = None) -> Response:
        return error_response(error, render or self.render_error, self.error_status)

    @staticmethod
    def _failed(error: Exception, refuse: Callable[[RewardsError], Response]) -> Response:
        """The answer to what a step of the pipeline raised; anything unexpected re-raised."""
        if isinstance(error, RewardsError):
            return refuse(error)
        if isinstance(error, ProgressTakenError):
            # Another run of this request (past its lease) recorded an item first.
            return refuse(RequestInProgressError())
        # DynamoDB still throttling once retries are spent: a 503, not a 500.
        busy = unavailable(error)
        if busy is None:
            raise error
        return refuse(busy)

    def route(
        self,
        path: str,
        methods: Sequence[str] = ("GET",),
        roles: tuple[Role, ...] | None = None,
        status: int = 200,
        content_types: Sequence[str] = BODY_TYPES,
        *,
        summary: str | None = None,
        request_model: type[BaseModel] | None = None,
        response_model: type[BaseModel] | None = None,
        response_type: str = JSON,
        errors: tuple[type[RewardsError], ...] = (),
        handler_roles: tuple[Role, ...] | None = None,
        query_model: type[BaseModel] | None = None,
        body_key: str | None = None,
        also_answers: tuple[str, ...] = (),
        no_store: bool = False,
        form_model: type[BaseModel] | None = None,
        render_error: ErrorRenderer | None = None,
        answer_error: ErrorAnswer | None = None,
        render: Render | None = None,
    ) -> Callable[[Handler], Handler]:
        """Register `handler(request, **path_params)`; `roles=None` means a public route.

        `response_model` shapes every JSON body the handler returns (see `shaped`). `no_store`
        marks an answer that carries a secret (a token, a new passcode): it is sent with
        `Cache-Control: no-store`, so neither a cache nor the `Idempotency-Key` replay keeps
        it (chalicelib/api/idempotency.py). `render_error` gives this route's JSON errors a shape
        of their own (Imonggo's `{"errors": [...]}`) instead of the face's; `answer_error`
        answers the errors of a request in the request's own contract when it has one (every
        error of the pipeline: authentication, the Idempotency-Key's, throttling, a body too
        large, and through `errors.face_error_middleware` the framework's 405, 415 and 500);
        None from it leaves the JSON error. `render` writes the answer, validated by the answer
        model, in the request's media type instead of JSON (Imonggo's records). The other
        keyword-only arguments only describe the route in the OpenAPI document: its summary
        (default: the handler's docstring), the pydantic models of its body (wrapped in one
        form key, `campaign[...]`, when `body_key` is given; of a form body, when its fields
        are not the JSON body's, `form_model`: then the other answer types have their own
        document, not `response_model`'s fields) and of its query string, the
        media type of a successful answer (and `also_answers`, the types a client may ask for
        instead, by Accept or a suffix), the domain errors it may answer with, and the roles a
        public route's handler checks itself (`handler_roles`; with an Idempotency-Key the
        pipeline authenticates such a request first too, since the key is the principal's).
        """

        if self.access is not None:
            if roles is not None:
                raise TypeError(f"{path}: this face's roles come from its access table")
            roles = self.access(path, methods)

        def register(handler: Handler) -> Handler:
            signature = Signature.of(handler)
            answer_model = response_model or signature.answer

            def refusal(request: ApiRequest) -> Callable[[RewardsError], Response]:
                def refuse(error: RewardsError) -> Response:
                    own = answer_error(request.raw, error) if answer_error is not None else None
                    return own if own is not None else self._error(error, render_error)

                return refuse

            def answer(request: ApiRequest, params: dict[str, str]) -> Response:
                try:
                    result = handler(request, **params, **signature.arguments(request))
                except Exception as error:
                    return self._failed(error, refusal(request))
                if isinstance(result, Response):
                    return result
                if result is None:
                    return Response(body="", status_code=204 if status == 200 else status)
                if answer_model is not None and render is not None:
                    return render(
                        request.raw, answer_model.model_validate(result, from_attributes=True)
                    )
                if answer_model is not None:
                    result = shaped(answer_model, result)
                return json_response(result, status, NO_STORE if no_store else None)

            @functools.wraps(handler)
            def view(**params: str) -> Response:
                request = ApiRequest(self._current_request(), params)
                try:
                    rehearsed = dry_run_asked(request)
                except RewardsError as error:
                    return refusal(request)(error)
                if not rehearsed:
                    return run(request, params)
                from chalicelib.storage import rehearsal  # loaded by a dry run alone

                with dry_run.rehearsing(rehearsal.rehearse, rehearsal.OPERATIONS):
                    return marked_dry_run(run(request, params))

            def run(request: ApiRequest, params: dict[str, str]) -> Response:
                # A dry run stores nothing, so it neither records nor replays an answer.
                key = None if dry_run.active() else idempotency.key_of(request.raw)
                try:
                    # As API Gateway and Lambda would, even where the handler never reads it. A
                    # handler that authenticates itself answers its own errors, this one too.
                    if handler_roles is None:
                        check_body_size(request.raw)
                    if roles is not None:
                        request.principal = authenticate(request, roles)
                        # Every log line of the request names its store (not only /{storeCode}).
                        logger().append_keys(store_code=request.principal.store_code)
                    elif key is not None and handler_roles is not None:
                        # The key is the principal's: a credential that fails is the handler's
                        # to answer (in its own format), with nothing looked up or stored.
                        request.principal = authenticate(request, handler_roles)
                except RewardsError as error:
                    if roles is not None or handler_roles is None:
                        return refusal(request)(error)
                    return answer(request, params)
                except Exception as error:
                    return self._failed(error, refusal(request))
                if key is None:
                    return answer(request, params)

                def produce(progress: BulkProgress) -> Response:
                    request.progress = progress
                    return answer(request, params)

                scope = idempotency.scope_of(request.raw, request.principal)
                return idempotency.once(request.raw, key, scope, produce, refusal(request))

            view.route_doc = RouteDoc(  # type: ignore[attr-defined]
                handler,
                self,
                roles if roles is not None else handler_roles,
                status,
                summary,
                request_model or signature.body,
                answer_model,
                response_type,
                errors,
                query_model or signature.query,
                body_key,
                also_answers,
                form_model,
                render_error,
                answer_error,
                render,
            )
            names = [("", handler.__name__)]
            names += [
                (prefix, prefixed_name(prefix, handler.__name__)) for prefix in self.also_under
            ]
            self.declared += [
                Declared(prefix + path, method, name, tuple(content_types), view)
                for prefix, name in names
                for method in methods
            ]
            return handler

        return register
