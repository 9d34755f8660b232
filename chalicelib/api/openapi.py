"""The OpenAPI 3.1 document of the service, generated from the Chalice route table.

Nothing here repeats a route: paths, methods, path parameters and accepted content types come
from `app.routes`; roles, status, summary, pydantic models and errors from the `RouteDoc` that
`Routes.route` records beside each view. Each operation's errors, and the error bodies' schemas,
come from chalicelib/api/openapi_errors.py. Imported on the first request for the document only
(it is cached), never at cold start.
"""

from __future__ import annotations

import inspect
import json
import re
import sys
from collections import Counter, defaultdict
from collections.abc import Iterator
from functools import lru_cache
from http import HTTPStatus
from typing import Any

from chalice import Chalice
from chalice.app import RouteEntry
from pydantic import BaseModel, RootModel
from pydantic.json_schema import JsonSchemaMode, models_json_schema

from chalicelib.api.openapi_errors import BODY_METHODS, ERROR_SCHEMAS, REF, error_responses, parsed
from chalicelib.api.request import BODY_TYPES, FORM_TYPES
from chalicelib.api.routes import JSON, MUTATING, RouteDoc
from chalicelib.domain.access.auth import Role
from chalicelib.domain.health import SERVICE_VERSION

OPENAPI_VERSION = "3.1.0"

API_KEY_SCHEMES = ("csapikey", "basicAuth", "bearerApiKey")
SCHEMES_BY_ROLE: dict[Role, tuple[str, ...]] = {
    Role.STORE: API_KEY_SCHEMES,
    Role.ADMIN: ("bearerJwt",),
    Role.SELLER: ("bearerJwt",),
    Role.CUSTOMER: ("bearerJwt",),
    Role.ISSUER: ("passcode",),
}
SECURITY_SCHEMES: dict[str, dict[str, Any]] = {
    "csapikey": {
        "type": "apiKey",
        "in": "query",
        "name": "csapikey",
        "description": "The store's API key (role `store`); some paths carry it as a segment.",
    },
    "basicAuth": {
        "type": "http",
        "scheme": "basic",
        "description": "The store's API key as user name and `X` as password (role `store`).",
    },
    "bearerApiKey": {
        "type": "http",
        "scheme": "bearer",
        "description": "`Authorization: Bearer <API key>` (role `store`).",
    },
    "bearerJwt": {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": (
            "A token from `POST /api/{admin,seller,customer}/login_check` "
            "(roles `admin`, `seller`, `customer`)."
        ),
    },
    "passcode": {
        "type": "apiKey",
        "in": "header",
        "name": "X-Passcode",
        "description": (
            "The campaign's passcode (role `issuer`); also accepted as the `passcode` query "
            "parameter or body field."
        ),
    },
}


def humanise(name: str) -> str:
    return name.replace("_", " ").strip().capitalize()


def _docstring(doc: RouteDoc) -> list[str]:
    return inspect.cleandoc(doc.handler.__doc__ or "").splitlines()


def summary_of(doc: RouteDoc) -> str:
    """The declared summary, else the docstring's first line, else the handler's name."""
    lines = _docstring(doc)
    return doc.summary or (lines[0] if lines else humanise(doc.handler.__name__))


def face_of(doc: RouteDoc) -> str:
    return doc.handler.__module__.rsplit(".", 1)[-1]


def _operations(app: Chalice) -> Iterator[tuple[str, str, RouteEntry, RouteDoc]]:
    for path, methods in app.routes.items():
        for method, entry in methods.items():
            # Every HTTP route is declared through `Routes.route`, which records its RouteDoc.
            yield path, method, entry, entry.view_function.route_doc


def _operation_ids(keys: list[tuple[str, str, str]]) -> list[str]:
    """Handler names, qualified by method and then face only where they would repeat."""
    ids = [name for _, name, _ in keys]
    for qualify in (lambda f, n, m: f"{n}_{m}", lambda f, n, m: f"{f}_{n}_{m}"):
        counts = Counter(ids)
        ids = [
            qualify(face, name, method.lower()) if counts[current] > 1 else current
            for current, (face, name, method) in zip(ids, keys, strict=True)
        ]
    if len(set(ids)) != len(ids):
        # One handler on two paths with one method: give the second its own name.
        raise ValueError(f"operationIds repeat: {[i for i, n in Counter(ids).items() if n > 1]}")
    return ids


def _security(roles: tuple[Role, ...] | None) -> list[dict[str, list[str]]]:
    if roles is None:
        return []
    schemes = dict.fromkeys(scheme for role in roles for scheme in SCHEMES_BY_ROLE[role])
    return [{scheme: []} for scheme in schemes]


def _success_schema(
    doc: RouteDoc, refs: dict[tuple[type[BaseModel], str], Any], media_type: str
) -> Any:
    # An XML answer has the same fields under its root, unless the route speaks another
    # contract in forms (`form_model`: Mokugift's original, whose XML is its own document).
    if doc.response_model is not None and (media_type == JSON or doc.form_model is None):
        return refs[(doc.response_model, "serialization")]
    if media_type != JSON:
        return {"type": "string"}
    returns = str(inspect.signature(doc.handler).return_annotation)
    if returns.startswith("list"):
        return {"type": "array"}
    if returns.startswith("dict"):
        return {"type": "object"}
    return {}


def redirects(doc: RouteDoc) -> bool:
    """Whether the route answers a redirect (an image's short-lived URL): no body, a Location."""
    return 300 <= doc.status < 400


def _answers_nothing(doc: RouteDoc) -> bool:
    return str(inspect.signature(doc.handler).return_annotation) == "None"


def _success(doc: RouteDoc, refs: dict[tuple[type[BaseModel], str], Any]) -> dict[str, Any]:
    if doc.status >= 400:  # a route that only refuses (Mokugift's wrong method): its error
        return {}
    if redirects(doc):
        location = {"schema": {"type": "string", "format": "uri"}}
        phrase = HTTPStatus(doc.status).phrase
        return {str(doc.status): {"description": phrase, "headers": {"Location": location}}}
    if _answers_nothing(doc):
        status = 204 if doc.status == 200 else doc.status
        return {str(status): {"description": HTTPStatus(status).phrase}}
    content = {kind: {"schema": _success_schema(doc, refs, kind)} for kind in doc.answer_types}
    return {str(doc.status): {"description": HTTPStatus(doc.status).phrase, "content": content}}


def _body_required(model: type[BaseModel]) -> bool:
    return any(field.is_required() for field in model.model_fields.values())


def _request_body(
    entry: RouteEntry, doc: RouteDoc, refs: dict[tuple[type[BaseModel], str], Any]
) -> dict[str, Any]:
    model = doc.request_model
    schema: Any = {"type": "object"}
    if model is not None:
        schema = refs[(model, "validation")]
        if doc.body_key is not None:  # the form wraps its fields: `campaign[name]=...`
            schema = {
                "type": "object",
                "required": [doc.body_key],
                "properties": {doc.body_key: schema},
            }
    content: dict[str, Any] = {}
    for content_type in entry.content_types:
        if content_type in FORM_TYPES and doc.form_model is not None:
            content[content_type] = {"schema": refs[(doc.form_model, "validation")]}
            continue
        if content_type in FORM_TYPES and model is not None and issubclass(model, RootModel):
            continue  # a form's fields cannot carry an array: such a body is JSON only
        if parsed(content_type):
            content[content_type] = {
                "schema": schema if content_type in BODY_TYPES else {"type": "object"}
            }
        else:
            content[content_type] = {"schema": {"type": "string"}}
    # A wrapped form needs its key even when every field inside is optional.
    required = model is not None and (doc.body_key is not None or _body_required(model))
    return {"required": required, "content": content}


def _is_object(schema: dict[str, Any]) -> bool:
    # Query models only nest models (refs) or plain objects, possibly optional (anyOf null).
    return (
        schema.get("type") == "object"
        or "$ref" in schema
        or any(_is_object(option) for option in schema.get("anyOf", ()))
    )


# Every mutating call takes it (chalicelib/api/routes.py), so it is documented once, here.
DRY_RUN_PARAMETER = {
    "name": "dryRun",
    "in": "query",
    "required": False,
    "schema": {"type": "boolean", "default": False},
    "description": "Answer what the call would do, writing and sending nothing; the answer has "
    'the header `Rewards-Dry-Run: true` and, a JSON object, `"dryRun": true`.',
}


def _query_parameters(
    doc: RouteDoc, schemas: dict[str, Any], refs: dict[tuple[type[BaseModel], str], Any]
) -> list[dict[str, Any]]:
    """One parameter per field of the route's query model; objects as `key[sub]=` (deepObject)."""
    if doc.query_model is None:
        return []
    top = schemas[refs[(doc.query_model, "validation")]["$ref"].rsplit("/", 1)[-1]]
    required = set(top.get("required", ()))
    parameters = []
    for name, schema in top.get("properties", {}).items():
        parameter: dict[str, Any] = {
            "name": name,
            "in": "query",
            "required": name in required,
            "schema": schema,
        }
        if _is_object(schema):
            parameter.update(style="deepObject", explode=True)
        parameters.append(parameter)
    return parameters


def _operation(
    operation_id: str,
    method: str,
    entry: RouteEntry,
    doc: RouteDoc,
    refs: dict[tuple[type[BaseModel], str], Any],
    schemas: dict[str, Any],
) -> dict[str, Any]:
    operation: dict[str, Any] = {
        "operationId": operation_id,
        "summary": summary_of(doc),
        "tags": [face_of(doc)],
        "security": _security(doc.roles),
    }
    description = "\n".join(_docstring(doc)[1:]).strip()
    if doc.roles is not None:
        roles = ", ".join(f"`{role.value}`" for role in doc.roles)
        description = f"{description}\n\nRoles: {roles}.".strip()
        operation["x-roles"] = [role.value for role in doc.roles]
    if description:
        operation["description"] = description
    parameters = [
        {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
        for name in entry.view_args
    ] + _query_parameters(doc, schemas, refs)
    if method in MUTATING:
        parameters.append(DRY_RUN_PARAMETER)
    if parameters:
        operation["parameters"] = parameters
    if method in BODY_METHODS:
        operation["requestBody"] = _request_body(entry, doc, refs)
    operation["responses"] = {**_success(doc, refs), **error_responses(method, entry, doc)}
    return operation


def _model_schemas(
    docs: list[RouteDoc],
) -> tuple[dict[tuple[type[BaseModel], str], Any], dict[str, Any]]:
    """Each declared model's reference, and the schemas behind them (names made unique)."""
    wanted: dict[tuple[type[BaseModel], JsonSchemaMode], None] = {}
    for doc in docs:
        for model in (doc.request_model, doc.query_model, doc.form_model):
            if model is not None:
                wanted[(model, "validation")] = None
        if doc.response_model is not None:
            wanted[(doc.response_model, "serialization")] = None
    if not wanted:
        return {}, {}
    refs, top = models_json_schema(list(wanted), ref_template=REF)
    return dict(refs), top.get("$defs", {})


@lru_cache(maxsize=4)
def document_json(app: Chalice) -> str:
    """The document as the JSON text `GET /openapi.json` answers, serialised once."""
    return json.dumps(document(app))


def _tags(faces: list[str]) -> list[dict[str, str]]:
    tags = []
    for face in sorted(set(faces)):
        module = sys.modules.get(f"chalicelib.api.{face}")
        lines = inspect.cleandoc((module.__doc__ if module else None) or face).splitlines()
        tags.append({"name": face, "description": lines[0]})
    return tags


def _path_template(path: str) -> str:
    # Chalice's greedy `{proxy+}` is a plain OpenAPI template parameter.
    return re.sub(r"\{(\w+)\+\}", r"{\1}", path)


DRY_RUN_MARK = {
    "type": "boolean",
    "const": True,
    "description": "Present (true) only in the answer of a dry run (`dryRun=true`).",
}


def _allow_dry_run_mark(schemas: dict[str, Any], ref: dict[str, Any]) -> None:
    """A mutating route's JSON object answer may carry `"dryRun": true`: say so on its model."""
    name = ref.get("$ref", "").rsplit("/", 1)[-1]
    schema = schemas.get(name)
    if schema is not None and "properties" in schema:
        schema["properties"].setdefault("dryRun", DRY_RUN_MARK)


@lru_cache(maxsize=4)
def document(app: Chalice) -> dict[str, Any]:
    """The OpenAPI 3.1 document of `app`, built once per app."""
    found = list(_operations(app))
    keys = [(face_of(doc), entry.view_name, method) for _, method, entry, doc in found]
    refs, schemas = _model_schemas([doc for *_, doc in found])
    paths: dict[str, dict[str, Any]] = defaultdict(dict)
    for operation_id, (path, method, entry, doc) in zip(_operation_ids(keys), found, strict=True):
        operation = _operation(operation_id, method, entry, doc, refs, schemas)
        paths[_path_template(path)][method.lower()] = operation
        if method in MUTATING and doc.response_model is not None:
            _allow_dry_run_mark(schemas, refs[(doc.response_model, "serialization")])
    return {
        "openapi": OPENAPI_VERSION,
        "info": {
            "title": "Rewards",
            "version": SERVICE_VERSION,
            "description": "Points, claims, rewards and campaigns for stores and their customers.",
        },
        # Relative: resolved against where this document is served (any stage prefix included).
        "servers": [{"url": "."}],
        "tags": _tags([face for face, _, _ in keys]),
        "paths": dict(paths),
        "components": {
            "securitySchemes": SECURITY_SCHEMES,
            "schemas": {**ERROR_SCHEMAS, **schemas},
        },
    }
