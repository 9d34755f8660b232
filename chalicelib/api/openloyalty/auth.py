"""Login endpoints: `POST /api/{admin,seller,customer}/login_check` → `{"token": JWT,
"refresh_token": ...}`, and the refresh token's own calls (chalicelib/domain/access/sessions.py).

API Gateway cannot hold `/api/{role}` beside `/api/{storeCode}`, so each role has its own
static path. The store defaults to the service's default store unless `storeCode` is given.
The user and password are `username` / `password`, or `_username` / `_password` as Open
Loyalty's clients send them (Symfony's form login), in JSON or a form.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import AliasChoices, ConfigDict, Field, StringConstraints

from chalicelib.api import idempotency
from chalicelib.api.openloyalty.access import roles_of
from chalicelib.api.openloyalty.auth_schemas import Token
from chalicelib.api.request import ApiRequest
from chalicelib.api.routes import Routes
from chalicelib.config import get_settings
from chalicelib.domain.access import sessions
from chalicelib.domain.access.auth import Role
from chalicelib.domain.errors import AuthenticationError
from chalicelib.domain.validation import InputModel, SingleLine

routes = Routes(__name__, access=roles_of)

# Public routes: a wrong username or password is their 401 (`bad_credentials`).
LOGIN_ERRORS = (AuthenticationError,)

Username = Annotated[str, StringConstraints(min_length=1, max_length=320), SingleLine]


class LoginInput(InputModel):
    model_config = ConfigDict(str_strip_whitespace=True, populate_by_name=True)

    username: Username = Field(validation_alias=AliasChoices("username", "_username"))
    password: Annotated[str, StringConstraints(min_length=1, max_length=1024)] = Field(
        validation_alias=AliasChoices("password", "_password")
    )
    storeCode: Annotated[str, StringConstraints(min_length=1, max_length=64), SingleLine] | None = (
        None
    )


class RefreshInput(InputModel):
    refresh_token: Annotated[str, StringConstraints(min_length=1, max_length=512), SingleLine]


def _login(body: LoginInput, role: Role) -> sessions.Tokens:
    store_code = body.storeCode or get_settings().default_store_code
    return sessions.log_in(store_code, role, body.username, body.password)


@routes.route(
    "/api/admin/login_check",
    methods=["POST"],
    no_store=True,
    summary="Log in as an admin: a JWT for `Authorization: Bearer`",
    errors=LOGIN_ERRORS,
)
def admin_login(request: ApiRequest, body: LoginInput) -> Token:
    return _login(body, Role.ADMIN)


@routes.route(
    "/api/seller/login_check",
    methods=["POST"],
    no_store=True,
    summary="Log in as a seller: a JWT for `Authorization: Bearer`",
    errors=LOGIN_ERRORS,
)
def seller_login(request: ApiRequest, body: LoginInput) -> Token:
    return _login(body, Role.SELLER)


@routes.route(
    "/api/customer/login_check",
    methods=["POST"],
    no_store=True,
    summary="Log in as a customer: a JWT for `Authorization: Bearer`",
    errors=LOGIN_ERRORS,
)
def customer_login(request: ApiRequest, body: LoginInput) -> Token:
    return _login(body, Role.CUSTOMER)


@routes.route(
    "/api/token/refresh",
    methods=["POST"],
    no_store=True,
    summary="Trade a refresh token for a new JWT and a new refresh token (the old one used up)",
    errors=LOGIN_ERRORS,
)
def refresh_token(request: ApiRequest, body: RefreshInput) -> Token:
    return sessions.refresh(body.refresh_token, idempotency.key_of(request.raw))


@routes.route(
    "/api/token/revoke",
    methods=["POST"],
    status=204,
    summary="Log out: end the session of a refresh token (204 for an unknown one too)",
)
def revoke_token(request: ApiRequest, body: RefreshInput) -> None:
    sessions.revoke(body.refresh_token)
