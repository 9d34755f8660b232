"""The API on this machine: what `chalice local --no-autoreload` does, with a redacted access log.

`chalice local`'s server writes each request line to stderr as it came, path and query
included: `/api/v1/points/<API key>/INSTANT`, `?passcode=...`. Here the same server (Chalice's
own, for the stage's config and environment) logs through `logging` instead, and every line
goes through the redaction the app's own logs use (chalicelib/redaction.py).

    python -m local.api_server --port 8000 --stage local
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from chalice.local import ChaliceRequestHandler, LocalDevServer

from chalicelib.redaction import RedactingFormatter
from local.lifeline import die_with_launcher

if TYPE_CHECKING:
    from chalice import Chalice
    from chalice.config import Config

REPO_ROOT = Path(__file__).resolve().parents[1]

log = logging.getLogger("local.api")


class RedactedRequestHandler(ChaliceRequestHandler):
    """Chalice's request handler whose access lines go through `logging` (hence redaction)."""

    def log_message(self, format: str, *args: Any) -> None:
        log.info("%s - %s", self.address_string(), format % args)


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
