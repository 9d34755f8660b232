"""The time formats that more than one module writes, each defined here once.

A ground-floor module (it imports nothing of the service), so every layer may use it: the faces
answer in their documents' formats, the domain writes the same ones into bulk job answers and
CSV exports. A format that one module alone writes stays beside it (Open Loyalty's
`domain.catalog.views.TIME_FORMAT`, the claims' sortable `domain.points.claim_rules.ISO_FORMAT`).
Each is meant for `datetime.strftime` of an aware UTC time.
"""

from __future__ import annotations

# `2024-01-02T03:04:05Z`: Mokugift's and Imonggo's times, Coggins' claim expiry, bulk jobs.
UTC_SECONDS = "%Y-%m-%dT%H:%M:%SZ"
# `2024-01-02 03:04:05`: Alpha's times, the bought rewards' CSV export.
SPACED_SECONDS = "%Y-%m-%d %H:%M:%S"
