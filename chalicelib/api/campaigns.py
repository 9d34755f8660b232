"""Open Loyalty campaign catalog: campaigns, lists, state, coupons, visibility, seller views."""

from __future__ import annotations

from chalicelib.api.openloyalty import openloyalty_routes

routes = openloyalty_routes(__name__)
