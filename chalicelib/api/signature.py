"""What a route handler's own annotations declare (chalicelib/api/routes.py): the models of its
body, its query string and its answer, and the typed arguments a request gives it.
"""

from __future__ import annotations

import typing
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from chalicelib.api.request import ApiRequest
from chalicelib.domain.validation import validate

if TYPE_CHECKING:
    from pydantic import BaseModel

Handler = Callable[..., Any]


@dataclass(frozen=True)
class Signature:
    """What a handler's own annotations declare: the models of its body, its query string and
    its answer. A parameter named `body` or `query` typed with a pydantic model receives the
    request's body or query string parsed into it (JSON and form bodies alike; a 4xx naming
    every bad field otherwise); `body: Model | None` takes a request without a body as None. A
    return type that is a pydantic model shapes the answer."""

    body: type[BaseModel] | None
    query: type[BaseModel] | None
    answer: type[BaseModel] | None
    body_optional: bool = False

    @classmethod
    def of(cls, handler: Handler) -> Signature:
        from pydantic import BaseModel

        try:
            hints = typing.get_type_hints(handler)
        except NameError as error:
            raise TypeError(f"{handler.__name__}: annotations must resolve at import") from error

        def model(hint: Any) -> type[BaseModel] | None:
            return hint if isinstance(hint, type) and issubclass(hint, BaseModel) else None

        body = hints.get("body")
        members = typing.get_args(body)  # `Model | None`: the model, or None without a body
        optional_body = None
        if len(members) == 2 and type(None) in members:
            optional_body = model(next(m for m in members if m is not type(None)))
        return cls(
            model(body) or optional_body,
            model(hints.get("query")),
            model(hints.get("return")),
            body_optional=optional_body is not None,
        )

    def arguments(self, request: ApiRequest) -> dict[str, Any]:
        """The handler's typed arguments of `request` (raises `InvalidInputError`)."""
        found: dict[str, Any] = {}
        if self.body is not None:
            body = request.body
            if body is None and self.body_optional:
                found["body"] = None
            else:
                # An empty form is a form without fields, for a model that says so (`empty_form`).
                if body is None and getattr(self.body, "empty_form", False):
                    body = {}
                found["body"] = validate(self.body, body)
        if self.query is not None:
            found["query"] = validate(self.query, request.query)
        return found
