"""Campaign photos and brand icons: uploads checked by content, bytes in S3."""

from __future__ import annotations

from chalicelib.api.openloyalty import openloyalty_routes

routes = openloyalty_routes(__name__)
