"""Open Loyalty cashback: simulate, redeem, and the payout provider's callback."""

from __future__ import annotations

from chalicelib.api.openloyalty import openloyalty_routes

routes = openloyalty_routes(__name__)
