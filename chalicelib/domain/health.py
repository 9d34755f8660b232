"""Health report: the running versions, whether every table is reachable, and which are not."""

from __future__ import annotations

import platform
from functools import lru_cache
from importlib import metadata
from typing import Any

from chalicelib import __version__
from chalicelib.config import get_settings
from chalicelib.storage import schema

SERVICE_VERSION = __version__
PACKAGES = ("chalice", "boto3", "botocore", "pynamodb", "pydantic", "aws-lambda-powertools")


@lru_cache(maxsize=1)
def versions() -> dict[str, str]:
    found = {"rewards": SERVICE_VERSION, "python": platform.python_version()}
    for package in PACKAGES:
        try:
            found[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            continue  # chalice is not shipped to Lambda; that is expected
    return found


def _reachable(model: Any) -> bool:
    try:
        return bool(model.exists())
    except Exception:  # any failure to reach the table means "not reachable", never a 500
        return False


def report() -> dict[str, Any]:
    """The health of this instance; `failing` names each check that failed (`table:<name>`)."""
    tables = {model.Meta.table_basename: _reachable(model) for model in schema.MODELS}
    failing = [f"table:{name}" for name, reachable in tables.items() if not reachable]
    return {
        "status": "degraded" if failing else "ok",
        "stage": get_settings().stage,
        "versions": versions(),
        "tables": tables,
        "failing": failing,
    }
