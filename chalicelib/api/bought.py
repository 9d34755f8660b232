"""Open Loyalty bought rewards: the list, the CSV export, usage and delivery status."""

from __future__ import annotations

from chalicelib.api.openloyalty import openloyalty_routes

routes = openloyalty_routes(__name__)
