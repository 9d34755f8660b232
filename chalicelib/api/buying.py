"""Open Loyalty buying: campaigns available to a customer, and buying one with points."""

from __future__ import annotations

from chalicelib.api.openloyalty import openloyalty_routes

routes = openloyalty_routes(__name__)
