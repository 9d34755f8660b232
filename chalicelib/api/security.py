"""Reads the credential of a request and resolves it to a principal through `domain.access.auth`.

Routes declare which roles they accept; this is the only place that looks at credentials.
Styles: `Authorization: Basic` (API token as user; the password is ignored, as Imonggo's is:
its SDK sends `x`, curl examples `X`, some clients nothing), `Authorization: Bearer`
(a JWT from a login, or an API key), `csapikey` (query or path), campaign passcode.
"""

from __future__ import annotations

import base64
import binascii

from chalicelib.api.request import ApiRequest
from chalicelib.domain.access import auth
from chalicelib.domain.access.auth import Principal, Role
from chalicelib.domain.errors import AuthenticationError, PermissionDeniedError


def _basic(value: str) -> Principal:
    """The API token is the user name. The password carries no secret (the documented `X` is
    public), so it is ignored on every face alike, including before an Idempotency-Key replay."""
    try:
        user, _, _password = base64.b64decode(value, validate=True).decode("utf-8").partition(":")
    except (binascii.Error, UnicodeDecodeError) as error:
        raise AuthenticationError("Malformed Basic credentials.") from error
    return auth.principal_for_api_key(user)


def _passcode(request: ApiRequest) -> str | None:
    body = request.body
    from_body = body.get("passcode") if isinstance(body, dict) else None
    value = (
        request.raw.headers.get("x-passcode")
        or request.query.get("passcode")
        or (from_body if isinstance(from_body, str) else None)
    )
    return value or None


def _resolve(request: ApiRequest, roles: tuple[Role, ...]) -> Principal:
    header = request.raw.headers.get("authorization") or ""
    scheme, _, value = header.strip().partition(" ")
    value = value.strip()
    if scheme.lower() == "basic":
        return _basic(value)
    if scheme.lower() == "bearer" and value:
        # A JWT has three dot-separated parts; an API key never contains a dot.
        if value.count(".") == 2:
            return auth.principal_for_token(value)
        return auth.principal_for_api_key(value)
    if header:
        raise AuthenticationError("Unsupported Authorization header.")
    key = request.params.get("csapikey") or request.query.get("csapikey")
    if key:
        return auth.principal_for_api_key(key)
    campaign_id = request.params.get("campaign_id")
    if Role.ISSUER in roles and campaign_id:
        passcode = _passcode(request)
        if passcode:
            return auth.principal_for_passcode(campaign_id, passcode)
    raise AuthenticationError("Authentication required.")


def authenticate(request: ApiRequest, roles: tuple[Role, ...]) -> Principal:
    """The request's principal, if it has one of `roles` and belongs to the addressed store."""
    principal = _resolve(request, roles)
    if principal.role not in roles:
        raise PermissionDeniedError(f"The {principal.role.value} role may not use this endpoint.")
    store_code = request.params.get("storeCode")
    if store_code is not None and store_code != principal.store_code:
        raise PermissionDeniedError("This credential belongs to another store.")
    campaign_id = request.params.get("campaign_id")
    if principal.role is Role.ISSUER and campaign_id != principal.subject:
        raise PermissionDeniedError("This passcode belongs to another campaign.")
    return principal
