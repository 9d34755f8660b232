"""`python -m doctools.openapi [PATH]`: write the OpenAPI document the service serves at
`/openapi.json` to PATH (default docs/reference/openapi.json), for the site's API reference.

The same function builds both (`chalicelib.api.openapi.document_json`), so the page cannot
differ from what a running service answers. Importing the app creates no table and calls no AWS.
"""

from __future__ import annotations

import sys
from pathlib import Path

DEFAULT = Path(__file__).resolve().parents[1] / "docs" / "reference" / "openapi.json"


def write(path: Path = DEFAULT) -> Path:
    from app import app  # imported when asked: loading the app reads settings
    from chalicelib.api import openapi

    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(openapi.document_json(app), encoding="utf-8")
    return path


def main(argv: list[str]) -> int:
    print(write(Path(argv[0]) if argv else DEFAULT))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
