"""Mokugift rewards API: issue rewards by email or URL, one or in bulk; passcodes; queries."""

from __future__ import annotations

from chalicelib.api.routes import Routes

routes = Routes(__name__)
