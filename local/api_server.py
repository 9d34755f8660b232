"""The API on this machine: what `chalice local --no-autoreload` does, with a redacted access log.

`chalice local`'s server writes each request line to stderr as it came, path and query
included: `/api/v1/points/<API key>/INSTANT`, `?passcode=...`. Here the same server (Chalice's
own, for the stage's config and environment) logs through `logging` instead, and every line
goes through the redaction the app's own logs use (chalicelib/redaction.py).

It also answers as the deployed API does where `chalice local` does not: a path no route
declares goes to the app as API Gateway's catch-all `/{proxy+}` would send it (a JSON 404, not
a 403 "Missing Authentication Token" quoting the Authorization header), and any method, TRACE
and unknown verbs included, goes to the app too (a JSON 405 with `Allow` on a known path, not
http.server's 501 HTML page); OPTIONS as well, as no route enables CORS.

    python -m local.api_server --port 8000 --stage local
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO
from urllib.parse import parse_qs, urlsplit

from chalice.local import (
    ChaliceRequestHandler,
    LambdaEventConverter,
    LocalDevServer,
    LocalGateway,
    LocalGatewayAuthorizer,
    MatchResult,
    RouteMatcher,
)

from chalicelib.redaction import RedactingFormatter
from local.lifeline import die_with_launcher

if TYPE_CHECKING:
    from chalice import Chalice
    from chalice.config import Config

REPO_ROOT = Path(__file__).resolve().parents[1]

log = logging.getLogger("local.api")

# The resource of the deployed API's catch-all (infra/template.py), as API Gateway names it.
CATCH_ALL = "/{proxy+}"


class CatchAllMatcher(RouteMatcher):
    """Chalice's route matching, with API Gateway's catch-all for a path no route declares."""

    def match_route(self, url: str) -> MatchResult:
        try:
            return super().match_route(url)
        except ValueError:
            parts = urlsplit(url)
            query = parse_qs(parts.query, keep_blank_values=True)
            return MatchResult(CATCH_ALL, {"proxy": parts.path.lstrip("/")}, query)


class CatchAllAuthorizer(LocalGatewayAuthorizer):
    """Chalice's authorizer lookup, without adding the catch-all to the app's routes (a
    defaultdict): a route the API description iterates over meanwhile in another thread."""

    def _route_for_event(self, lambda_event: dict[str, Any]) -> Any:
        if lambda_event["requestContext"]["resourcePath"] not in self._app_object.routes:
            return None
        return super()._route_for_event(lambda_event)


class CatchAllGateway(LocalGateway):
    """`chalice local`'s API Gateway, with the deployed API's catch-all and `ANY` methods."""

    def __init__(self, app_object: Chalice, config: Config) -> None:
        super().__init__(app_object, config)
        self.event_converter = LambdaEventConverter(
            CatchAllMatcher(list(app_object.routes)), app_object.api.binary_types
        )
        self._authorizer = CatchAllAuthorizer(app_object)

    def _has_user_defined_options_method(self, lambda_event: dict[str, Any]) -> bool:
        # Deployed, OPTIONS reaches the app through `ANY` (no route enables CORS, so API
        # Gateway generates no preflight answer): the app answers it.
        return True


class RedactedRequestHandler(ChaliceRequestHandler):
    """Chalice's request handler whose access lines go through `logging` (hence redaction),
    answering every path and method as the deployed API does."""

    def __init__(
        self,
        request: Any,
        client_address: tuple[str, int],
        server: HTTPServer,
        app_object: Chalice,
        config: Config,
    ) -> None:
        # ChaliceRequestHandler's own, with the gateway above (the request is handled inside).
        self.local_gateway = CatchAllGateway(app_object, config)
        BaseHTTPRequestHandler.__init__(self, request, client_address, server)

    def __getattr__(self, name: str) -> Any:
        # http.server answers 501 for a method without a `do_<METHOD>`: give every one to the
        # app, which answers 405 with `Allow` (or 404 off any route).
        if name.startswith("do_"):
            return self._generic_handle
        raise AttributeError(name)

    def log_message(self, format: str, *args: Any) -> None:
        log.info("%s - %s", self.address_string(), format % args)

    def _parse_payload(self) -> tuple[dict[str, str], bytes | None]:
        """Chalice's, plus a body sent in chunks (no Content-Length), which API Gateway takes
        too: read whole, so none of its bytes is read as the connection's next request."""
        if "chunked" not in (self.headers.get("transfer-encoding") or "").lower():
            headers, body = super()._parse_payload()
            return headers, body
        body = bytearray()
        try:
            while size := int(self.rfile.readline().split(b";")[0].strip() or b"0", 16):
                body += self.rfile.read(size)
                self.rfile.readline()  # the CRLF that ends the chunk
            while self.rfile.readline().strip():
                pass  # trailer fields, up to the empty line
        except ValueError:
            self.close_connection = True  # not chunks after all: nothing more can be read
        return dict(self.headers), bytes(body) or None


def make_server(app: Chalice, config: Config, host: str, port: int) -> LocalDevServer:
    return LocalDevServer(app, config, host, port, handler_cls=RedactedRequestHandler)


def configure_logging(stream: TextIO) -> logging.Handler:
    """As `chalice local`: every line (the app's too) on `stream`, as Lambda would show them;
    redacted."""
    handler = logging.StreamHandler(stream)
    handler.setFormatter(RedactingFormatter(logging.Formatter("%(message)s")))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    return handler


def serve(host: str, port: int, stage: str) -> None:
    from chalice.cli.factory import CLIFactory
    from chalice.deploy.validate import validate_routes

    os.environ["AWS_CHALICE_CLI_MODE"] = "true"  # as the chalice CLI sets it
    factory = CLIFactory(str(REPO_ROOT), environ=os.environ)
    config = factory.create_config_obj(chalice_stage_name=stage)
    app = config.chalice_app
    validate_routes(app.routes)  # what `chalice local` checks: deployable routes only
    make_server(app, config, host, port).serve_forever()


def main(argv: list[str] | None = None) -> int:
    die_with_launcher()  # no API server left serving after the launcher is killed
    parser = argparse.ArgumentParser(prog="python -m local.api_server", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--stage", default="local")
    args = parser.parse_args(argv)
    configure_logging(sys.stdout)
    serve(args.host, args.port, args.stage)
    return 0


if __name__ == "__main__":
    sys.exit(main())
