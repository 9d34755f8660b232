"""The site's API reference is the document the service serves (`doctools/openapi.py`)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from doctools import openapi as docs_openapi
from tests.fixtures.clients import body_of


def test_the_written_document_is_the_one_served_at_openapi_json(
    client: Any, tmp_path: Path
) -> None:
    served = body_of(client.get("/openapi.json"))

    written = docs_openapi.write(tmp_path / "reference" / "openapi.json")

    assert json.loads(written.read_text()) == served
