"""Open Loyalty campaign catalog: campaigns, lists, state, coupons, visibility, seller views."""

from __future__ import annotations

from chalicelib.api.routes import Routes

routes = Routes(__name__)
