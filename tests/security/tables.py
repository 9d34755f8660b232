"""Every table's items read straight from moto's DynamoDB backend.

No AWS call is made, so nothing shows among the calls a test records, and the service's own
rule (no Scan) is not bent to look.
"""

from __future__ import annotations

import contextlib
import copy
from collections.abc import Iterator
from typing import Any

from moto.core import DEFAULT_ACCOUNT_ID
from moto.dynamodb.models import dynamodb_backends

from chalicelib.config import get_settings


def stored_items() -> list[tuple[str, dict[str, Any]]]:
    """(table name, item in DynamoDB's JSON form) for every item of every table."""
    backend = dynamodb_backends[DEFAULT_ACCOUNT_ID][get_settings().region]
    return [
        (name, item.to_json()["Attributes"])
        for name, table in backend.tables.items()
        for item in table.all_items()
    ]


@contextlib.contextmanager
def tables_restored() -> Iterator[None]:
    """Every table as it was before the block, whatever the block wrote."""
    backends = dynamodb_backends[DEFAULT_ACCOUNT_ID]
    region = get_settings().region
    kept = copy.deepcopy(backends[region])
    try:
        yield
    finally:
        backends[region] = kept
