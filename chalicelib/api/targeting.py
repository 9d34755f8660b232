"""Levels, segments and campaign categories (admin), and a customer's level and segments."""

from __future__ import annotations

from chalicelib.api.openloyalty import openloyalty_routes

routes = openloyalty_routes(__name__)
