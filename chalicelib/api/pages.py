"""Public HTML pages behind reward links (/r/{token})."""

from __future__ import annotations

from chalicelib.api.routes import Routes

routes = Routes(__name__)
