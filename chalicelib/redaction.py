"""Keeps credentials out of log lines and error bodies: the one redaction every logger uses.

`redact(text)` replaces, wherever they appear in a text:

- the secret segments of the routes' paths (`/api/v1/points/{csapikey}/...`, `/r/{token}`,
  `/claim/points/{token}`...: every route parameter named in `SECRET_PATH_PARAMS`, read from
  the route table, so a new route with such a parameter is covered without a change here);
- `Authorization: Bearer|Basic ...` values, and anything shaped like a JWT;
- the value of a field, parameter or header named like a credential (`csapikey=`, `passcode=`,
  `"password": "..."`, `X-Passcode: ...`), in query strings, forms, JSON and header dumps;
- the credentials the current request carries (`current_secrets`), wherever they appear,
  whatever surrounds them: an exception message or a traceback quoting one is caught too.

It is applied once per output, not per call: the Powertools loggers format through
`PowertoolsRedactingFormatter` (`json_logger`), plain `logging` handlers get `protect` (the
root logger, Chalice's `app.log`, the local processes), and `api.errors` scrubs error bodies.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import lru_cache
from pathlib import Path
from typing import Any

MASK = "[REDACTED]"
# Route parameters that are bearer secrets: the API key of the Coggins paths, claim and reward
# tokens (whoever has one claims the points or sees the coupon).
SECRET_PATH_PARAMS = frozenset({"csapikey", "token"})
# Names of fields, parameters and headers whose value is a credential.
SECRET_NAMES = (
    "csapikey",
    "x-passcode",
    "passcode",
    "password",
    "authorization",
    "api_key",
    "apikey",
    "secret",
    "token",
)
# A value shorter than this is not looked for literally (Basic's `X` password, say).
MIN_SECRET_LENGTH = 6
ROUTE_TABLE = Path(__file__).with_name("api") / "routes.json"

_AUTH_SCHEME = re.compile(r"(?i)\b(Bearer|Basic)(\s+)[A-Za-z0-9._~+/=-]+")
_JWT = re.compile(r"\beyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*")
_NAMES = "|".join(map(re.escape, SECRET_NAMES))
_NOT_MASKED = r"(?!(?:Bearer |Basic )?\[REDACTED\])"
# A quoted key (JSON, also JSON inside a JSON string, a Python dict): its quoted value only,
# so `"token": null` or a list stays valid JSON.
_QUOTED = re.compile(
    rf"""(?i)(?<![A-Za-z0-9_-])((?:{_NAMES})\\?["']\s*:\s*\\?["']){_NOT_MASKED}"""
    r"""((?:Bearer |Basic )?[^"'\\]+)"""
)
# A query or form field (`passcode=`, `customer[password]=`, `customer%5Bpassword%5D=`) or a
# header (`X-Passcode: ...`): the value up to the next delimiter.
_PLAIN = re.compile(
    rf"(?i)(?:(?<=%5B)|(?<![A-Za-z0-9_-]))((?:{_NAMES})(?:%5D|\])?\s*[=:]\s*){_NOT_MASKED}"
    r"""((?:Bearer |Basic )?[^\s"'&;,{}\[\]\\]+)"""
)

# The secret values of the current request, computed only if something is redacted.
_current: ContextVar[Callable[[], Iterable[str]] | None] = ContextVar(
    "rewards_request_secrets", default=None
)


@lru_cache(maxsize=1)
def _secret_paths() -> re.Pattern[str] | None:
    """One pattern matching every route whose path carries a secret parameter."""
    paths = {route["path"] for route in json.loads(ROUTE_TABLE.read_text(encoding="utf-8"))}
    alternatives = []
    for path in sorted(paths):
        parts = re.split(r"(\{[^}]+\})", path)
        if not any(part.strip("{}") in SECRET_PATH_PARAMS for part in parts if part[:1] == "{"):
            continue
        pattern = ""
        for part in parts:
            if part[:1] == "{":
                # A secret segment is captured (to be masked); any other is matched as is.
                segment = r"[^/?#\s\"'<>{}]+"  # not `{token}`: a template is no secret
                pattern += f"({segment})" if part.strip("{}") in SECRET_PATH_PARAMS else segment
            else:
                pattern += re.escape(part)
        alternatives.append(pattern)
    return re.compile("|".join(alternatives)) if alternatives else None


def _mask_path(match: re.Match[str]) -> str:
    text, start = match.group(0), match.start()
    for index in range(len(match.groups()), 0, -1):  # from the end: offsets stay valid
        if match.group(index) is not None:
            begin, end = match.span(index)
            text = text[: begin - start] + MASK + text[end - start :]
    return text


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """`text` with every credential it shows replaced by `[REDACTED]`."""
    values = [*secrets, *current_secrets()]
    for value in sorted({v for v in values if len(v) >= MIN_SECRET_LENGTH}, key=len, reverse=True):
        text = text.replace(value, MASK)
    text = _AUTH_SCHEME.sub(rf"\1\2{MASK}", text)
    text = _JWT.sub(MASK, text)
    text = _QUOTED.sub(rf"\1{MASK}", text)
    text = _PLAIN.sub(rf"\1{MASK}", text)
    paths = _secret_paths()
    return paths.sub(_mask_path, text) if paths is not None else text


def current_secrets() -> list[str]:
    found = _current.get()
    return [value for value in found() if value] if found is not None else []


@contextmanager
def request_secrets(secrets: Callable[[], Iterable[str]]) -> Iterator[None]:
    """While inside, `redact` also masks the values `secrets()` gives (asked once, on need)."""
    cache: list[str] = []
    asked = False

    def once() -> list[str]:
        nonlocal asked
        if not asked:
            cache.extend(secrets())
            asked = True
        return cache

    token = _current.set(once)
    try:
        yield
    finally:
        _current.reset(token)


class RedactingFormatter(logging.Formatter):
    """Formats with another formatter, then redacts the line (exceptions included)."""

    def __init__(self, inner: logging.Formatter | None = None) -> None:
        super().__init__()
        self.inner = inner or logging.Formatter()

    def format(self, record: logging.LogRecord) -> str:
        return redact(self.inner.format(record))


def protect(logger: logging.Logger) -> None:
    """Make every handler of `logger` redact what it writes (once; again is harmless)."""
    for handler in logger.handlers:
        if not isinstance(handler.formatter, RedactingFormatter):
            handler.setFormatter(RedactingFormatter(handler.formatter))


def json_logger(service: str) -> Any:
    """A Powertools Logger for `service` whose JSON lines are redacted."""
    from aws_lambda_powertools import Logger

    from chalicelib.config import get_settings

    return Logger(
        service=service,
        level=get_settings().log_level,
        logger_formatter=_powertools_formatter(),
    )


def _powertools_formatter() -> Any:
    from aws_lambda_powertools.logging.formatter import LambdaPowertoolsFormatter

    class PowertoolsRedactingFormatter(LambdaPowertoolsFormatter):
        def serialize(self, log: dict[str, Any]) -> str:
            return redact(super().serialize(log))

    return PowertoolsRedactingFormatter()
