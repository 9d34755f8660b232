"""Login endpoints: `POST /api/{admin,seller,customer}/login_check` → `{"token": JWT}`.

API Gateway cannot hold `/api/{role}` beside `/api/{storeCode}`, so each role has its own
static path. The store defaults to the service's default store unless `storeCode` is given.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import ConfigDict, StringConstraints

from chalicelib.api.request import ApiRequest
from chalicelib.api.responses.auth import Token
from chalicelib.api.routes import Routes
from chalicelib.config import get_settings
from chalicelib.domain import auth
from chalicelib.domain.auth import Role
from chalicelib.domain.errors import AuthenticationError
from chalicelib.domain.validation import InputModel, SingleLine, validate

routes = Routes(__name__)

# Public routes: a wrong username or password is their 401 (`bad_credentials`).
LOGIN_ERRORS = (AuthenticationError,)

Username = Annotated[str, StringConstraints(min_length=1, max_length=320), SingleLine]


class LoginInput(InputModel):
    model_config = ConfigDict(str_strip_whitespace=True, populate_by_name=True)

    username: Username
    password: Annotated[str, StringConstraints(min_length=1, max_length=1024)]
    storeCode: Annotated[str, StringConstraints(min_length=1, max_length=64), SingleLine] | None = (
        None
    )


def _login(request: ApiRequest, role: Role) -> dict[str, str]:
    data = validate(LoginInput, request.body)
    store_code = data.storeCode or get_settings().default_store_code
    return {"token": auth.login(store_code, role, data.username, data.password)}


@routes.route(
    "/api/admin/login_check",
    methods=["POST"],
    no_store=True,
    summary="Log in as an admin: a JWT for `Authorization: Bearer`",
    request_model=LoginInput,
    response_model=Token,
    errors=LOGIN_ERRORS,
)
def admin_login(request: ApiRequest) -> dict[str, str]:
    return _login(request, Role.ADMIN)


@routes.route(
    "/api/seller/login_check",
    methods=["POST"],
    no_store=True,
    summary="Log in as a seller: a JWT for `Authorization: Bearer`",
    request_model=LoginInput,
    response_model=Token,
    errors=LOGIN_ERRORS,
)
def seller_login(request: ApiRequest) -> dict[str, str]:
    return _login(request, Role.SELLER)


@routes.route(
    "/api/customer/login_check",
    methods=["POST"],
    no_store=True,
    summary="Log in as a customer: a JWT for `Authorization: Bearer`",
    request_model=LoginInput,
    response_model=Token,
    errors=LOGIN_ERRORS,
)
def customer_login(request: ApiRequest) -> dict[str, str]:
    return _login(request, Role.CUSTOMER)
