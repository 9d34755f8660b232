"""Items of several tables read in one BatchGetItem.

PynamoDB's `Model.batch_get` reads one model's table; a request that needs, say, a campaign,
a customer and that customer's usage item would make three calls. `get_many` sends the keys of
every table in one BatchGetItem on the process-wide connection, as DynamoDB allows (up to 100
keys a call), and answers the items as models, in the order of the keys.
"""

from __future__ import annotations

import random
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pynamodb.models import Model

from chalicelib.storage.base import connection

MAX_KEYS = 100  # BatchGetItem's limit per call
BACKOFF_SECONDS = 0.05  # the first wait before asking again for unprocessed keys; doubles


@dataclass(frozen=True)
class Key:
    """One item to read: its model and key values."""

    model: type[Model]
    hash_key: Any
    range_key: Any = None


def get_many(keys: Sequence[Key], consistent_read: bool = False) -> list[Model | None]:
    """The items of `keys` (None for one that does not exist), read in one BatchGetItem per
    100 keys; keys DynamoDB leaves unprocessed (throttling) are asked for again, with backoff."""
    found: dict[tuple[str, str], Model] = {}
    names: list[tuple[str, str]] = []
    requests: dict[str, dict[str, Any]] = {}
    for key in keys:
        kwargs = key.model.get_operation_kwargs_from_class(key.hash_key, range_key=key.range_key)
        table, item_key = kwargs["TableName"], kwargs["Key"]
        names.append((table, _identity(item_key)))
        request = requests.setdefault(table, {"Keys": [], "ConsistentRead": consistent_read})
        if item_key not in request["Keys"]:
            request["Keys"].append(item_key)
    models = {key.model.Meta.table_name: key.model for key in keys}
    for chunk in _chunks(requests):
        unprocessed, attempt = chunk, 0
        while unprocessed:
            if attempt:
                time.sleep(random.uniform(0, BACKOFF_SECONDS * 2 ** min(attempt - 1, 5)))
            answer = connection().dispatch("BatchGetItem", {"RequestItems": unprocessed})
            for table, items in answer.get("Responses", {}).items():
                model = models[table]
                for item in items:
                    identity = _identity({name: item[name] for name in _key_names(model)})
                    found[(table, identity)] = model.from_raw_data(item)
            unprocessed, attempt = answer.get("UnprocessedKeys") or {}, attempt + 1
    return [found.get(name) for name in names]


def _chunks(requests: dict[str, dict[str, Any]]) -> list[dict[str, dict[str, Any]]]:
    """The request split into calls of at most `MAX_KEYS` keys."""
    chunks: list[dict[str, dict[str, Any]]] = []
    size = MAX_KEYS
    for table, request in requests.items():
        for item_key in request["Keys"]:
            if size == MAX_KEYS:
                chunks.append({})
                size = 0
            chunk = chunks[-1].setdefault(table, {**request, "Keys": []})
            chunk["Keys"].append(item_key)
            size += 1
    return chunks


def _key_names(model: type[Model]) -> list[str]:
    return [
        attribute.attr_name
        for attribute in model.get_attributes().values()
        if attribute.is_hash_key or attribute.is_range_key
    ]


def _identity(item_key: dict[str, Any]) -> str:
    """A key in DynamoDB's form as one comparable value."""
    return repr(sorted((name, sorted(value.items())) for name, value in item_key.items()))
