"""A store's rewards: one reward with its delivery history, and resending its email."""

from __future__ import annotations

from chalicelib.api.routes import Routes

routes = Routes(__name__)
