"""Campaign photos and brand icons: uploads checked by content, bytes in S3."""

from __future__ import annotations

from chalicelib.api.routes import Routes

routes = Routes(__name__)
