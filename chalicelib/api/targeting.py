"""Levels, segments and campaign categories (admin), and a customer's level and segments."""

from __future__ import annotations

from chalicelib.api.routes import Routes

routes = Routes(__name__)
