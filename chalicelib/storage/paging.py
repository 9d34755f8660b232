"""Query cursors: DynamoDB's `last_evaluated_key` built from, and read back as, plain values.

A page's cursor names the key of its last item; these turn those values into the attribute-value
dict a Query resumes from, and the dict a Query ends with back into values, so the domain
handles only its own values.
"""

from __future__ import annotations

from typing import Any

from pynamodb.models import Model


def start_key(model: type[Model], **values: Any) -> dict[str, Any]:
    """The `last_evaluated_key` resuming a Query of `model` (or of its index) after the item
    with these attribute values (by attribute name: the table's key, and the index's)."""
    attributes = model.get_attributes()
    start = {}
    for name, value in values.items():
        attribute = attributes[name]
        start[attribute.attr_name] = {attribute.attr_type: attribute.serialize(value)}
    return start


def key_values(model: type[Model], last_evaluated_key: dict[str, Any] | None) -> dict[str, Any]:
    """The attribute values, by name, of the key a Query of `model` ended on ({} when the Query
    read to the end)."""
    values = {}
    for name, attribute in model.get_attributes().items():
        found = (last_evaluated_key or {}).get(attribute.attr_name)
        if found is not None:
            values[name] = attribute.deserialize(attribute.get_value(found))
    return values
