"""DynamoDB writes in a dry run: checked as DynamoDB would check them, never made.

Every model and transaction of this package runs on one connection (`storage.base.connection`),
and in a dry run (chalicelib/dry_run.py) that connection hands its writes here instead of to
DynamoDB:

- A transaction is sent with each of its items turned into a `ConditionCheck` of the same key and
  condition (an item without one gets a condition that always holds, so the items keep their
  places and the cancellation reasons theirs). DynamoDB therefore refuses the dry run exactly
  when it would refuse the real call, with the same reasons, and the caller raises the same
  domain error.
- A single PutItem, UpdateItem or DeleteItem with a condition is checked the same way (a refused
  check is raised as DynamoDB's `ConditionalCheckFailedException`); one without is skipped. A
  BatchWriteItem is skipped.
- What the writes would leave is kept in the dry run's plan, per item, and a GetItem or
  BatchGetItem of a planned item answers it (the item before, with the planned writes applied:
  a put, a delete, an update expression by `expressions.apply_update`), so an answer that reads
  back what it wrote answers the plan. An UpdateItem asking for `ReturnValues` gets its values
  from the same computation.

- A condition on an item the same dry run wrote earlier is checked here, against the planned
  item (`expressions.holds`), since DynamoDB only has the item as it was.

Not covered, by design: a Query answers the table as it is (a listing read back after a write
misses the planned item).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from botocore.exceptions import ClientError
from pynamodb.exceptions import CancellationReason, VerboseClientError

from chalicelib.storage.base import MODELS, cancellation_codes
from chalicelib.storage.expressions import apply_update, holds
from chalicelib.storage.transactions import key_attributes

Send = Callable[[str, dict[str, Any]], dict[str, Any]]
Item = dict[str, Any]  # DynamoDB's JSON form: {"name": {"S": "..."}}
Plan = dict[Any, Any]

WRITES = frozenset({"TransactWriteItems", "PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem"})
READS = frozenset({"GetItem", "BatchGetItem"})
OPERATIONS = WRITES | READS

_ALWAYS = "attribute_exists(#dry_run_key) OR attribute_not_exists(#dry_run_key)"


def rehearse(plan: Plan, operation: str, kwargs: dict[str, Any], send: Send) -> dict[str, Any]:
    """What DynamoDB would answer `operation`, with nothing written; `send` makes real calls."""
    if operation == "TransactWriteItems":
        return _transaction(plan, kwargs, send)
    if operation == "BatchWriteItem":
        for table, requests in kwargs["RequestItems"].items():
            for request in requests:
                if "PutRequest" in request:
                    item = request["PutRequest"]["Item"]
                    _record(plan, table, _key_of(table, item), ("put", item))
                else:
                    _record(plan, table, request["DeleteRequest"]["Key"], ("delete",))
        return {"UnprocessedItems": {}}
    if operation == "GetItem":
        key = kwargs["Key"]
        if _slot(kwargs["TableName"], key) not in plan:
            return send(operation, kwargs)
        item = _planned(plan, kwargs["TableName"], key, send)
        return {} if item is None else {"Item": item}
    if operation == "BatchGetItem":
        return _batch_get(plan, kwargs, send)
    return _single(plan, operation, kwargs, send)


# --- writes ------------------------------------------------------------------------------------


def _transaction(plan: Plan, kwargs: dict[str, Any], send: Send) -> dict[str, Any]:
    entries = [next(iter(entry.items())) for entry in kwargs["TransactItems"]]
    checks, refused = [], []
    for kind, operation in entries:
        check = _as_check(kind, operation)
        # An item this dry run wrote is checked here, as planned; DynamoDB checks the others.
        refused.append(_refused_as_planned(plan, check, send))
        if _slot(check["TableName"], check["Key"]) in plan:
            check = _as_check(
                "ConditionCheck", {"TableName": check["TableName"], "Key": check["Key"]}
            )
        checks.append({"ConditionCheck": check})
    extra = {k: v for k, v in kwargs.items() if k == "ReturnConsumedCapacity"}
    reasons: list[CancellationReason | None] = [None] * len(checks)
    try:
        send("TransactWriteItems", {"TransactItems": checks, **extra})
    except VerboseClientError as error:
        if error.response["Error"].get("Code") != "TransactionCanceledException":
            raise
        reasons = list(error.cancellation_reasons)
    if any(refused) or any(reasons):
        merged = [mine or theirs for mine, theirs in zip(refused, reasons, strict=True)]
        raise VerboseClientError(
            {"Error": {"Code": "TransactionCanceledException", "Message": "Transaction cancelled"}},
            "TransactWriteItems",
            {"request_id": "", "table_name": ""},
            cancellation_reasons=merged,
        )
    for kind, operation in entries:
        if kind != "ConditionCheck":
            _record(plan, operation["TableName"], _key(kind, operation), _effect(kind, operation))
    return {}


def _refused_as_planned(plan: Plan, check: dict[str, Any], send: Send) -> CancellationReason | None:
    """Why DynamoDB would refuse `check` of an item this dry run planned; None when it holds
    (or the item is not planned: DynamoDB checks it)."""
    table, key = check["TableName"], check["Key"]
    if _slot(table, key) not in plan:
        return None
    item = _planned(plan, table, key, send)
    names = check.get("ExpressionAttributeNames", {})
    if holds(check["ConditionExpression"], item, names, check.get("ExpressionAttributeValues", {})):
        return None
    old = item if check.get("ReturnValuesOnConditionCheckFailure") == "ALL_OLD" else None
    return CancellationReason(code="ConditionalCheckFailed", raw_item=old)


def _single(plan: Plan, operation: str, kwargs: dict[str, Any], send: Send) -> dict[str, Any]:
    kind = {"PutItem": "Put", "UpdateItem": "Update", "DeleteItem": "Delete"}[operation]
    table, key = kwargs["TableName"], _key(kind, kwargs)
    if kwargs.get("ConditionExpression"):
        try:
            _transaction(
                plan, {"TransactItems": [{"ConditionCheck": _as_check(kind, kwargs)}]}, send
            )
        except VerboseClientError as error:
            if cancellation_codes(error) != ["ConditionalCheckFailed"]:
                raise
            # As DynamoDB answers the single write it would have refused.
            old = error.cancellation_reasons[0].raw_item  # type: ignore[union-attr]
            answer: dict[str, Any] = {
                "Error": {
                    "Code": "ConditionalCheckFailedException",
                    "Message": "The conditional request failed",
                }
            }
            raise ClientError({**answer, **({"Item": old} if old else {})}, operation) from None
    returns = kwargs.get("ReturnValues", "NONE")
    before = _planned(plan, table, key, send) if returns != "NONE" else None
    _record(plan, table, key, _effect(kind, kwargs))
    if returns == "NONE":
        return {}
    shown = before if returns.endswith("OLD") else _planned(plan, table, key, send)
    if shown is not None and returns.startswith("UPDATED"):
        touched = _touched(kwargs)
        shown = {name: value for name, value in shown.items() if name in touched}
    return {} if shown is None else {"Attributes": shown}


def _as_check(kind: str, operation: dict[str, Any]) -> dict[str, Any]:
    """`operation` (a Put, Update, Delete or ConditionCheck) as a check of its condition alone."""
    table = operation["TableName"]
    check: dict[str, Any] = {"TableName": table, "Key": _key(kind, operation)}
    condition = operation.get("ConditionExpression")
    if condition:
        names = operation.get("ExpressionAttributeNames", {})
        values = operation.get("ExpressionAttributeValues", {})
        used = set(re.findall(r"[#:][A-Za-z0-9_]+", condition))
        check["ConditionExpression"] = condition
        if any(name in used for name in names):
            check["ExpressionAttributeNames"] = {k: v for k, v in names.items() if k in used}
        if any(value in used for value in values):
            check["ExpressionAttributeValues"] = {k: v for k, v in values.items() if k in used}
    else:
        hash_key = next(iter(check["Key"]))
        check["ConditionExpression"] = _ALWAYS
        check["ExpressionAttributeNames"] = {"#dry_run_key": hash_key}
    if "ReturnValuesOnConditionCheckFailure" in operation:
        check["ReturnValuesOnConditionCheckFailure"] = operation[
            "ReturnValuesOnConditionCheckFailure"
        ]
    return check


def _key(kind: str, operation: dict[str, Any]) -> Item:
    if kind == "Put":
        return _key_of(operation["TableName"], operation["Item"])
    return dict(operation["Key"])


def _key_of(table: str, item: Item) -> Item:
    model = next(model for model in MODELS if model.Meta.table_name == table)
    names = [attribute.attr_name for attribute in key_attributes(model).values()]
    return {name: item[name] for name in names}


def _effect(kind: str, operation: dict[str, Any]) -> tuple[Any, ...]:
    if kind == "Put":
        return ("put", operation["Item"])
    if kind == "Delete":
        return ("delete",)
    return (
        "update",
        operation["UpdateExpression"],
        operation.get("ExpressionAttributeNames", {}),
        operation.get("ExpressionAttributeValues", {}),
        operation["Key"],
    )


def _touched(kwargs: dict[str, Any]) -> set[str]:
    names = kwargs.get("ExpressionAttributeNames", {})
    expression = kwargs.get("UpdateExpression", "")
    return {names.get(token, token) for token in re.findall(r"#[A-Za-z0-9_]+", expression)}


# --- the plan ----------------------------------------------------------------------------------


def _slot(table: str, key: Item) -> tuple[str, str]:
    return table, json.dumps(key, sort_keys=True)


def _record(plan: Plan, table: str, key: Item, effect: tuple[Any, ...]) -> None:
    plan.setdefault(_slot(table, key), []).append(effect)


def _planned(plan: Plan, table: str, key: Item, send: Send) -> Item | None:
    """The item at `key` once the planned writes are applied (read first when they need it)."""
    effects = plan.get(_slot(table, key), [])
    if effects and effects[-1][0] == "put":
        return effects[-1][1]
    item: Item | None = None
    if not effects or effects[0][0] == "update":
        item = send("GetItem", {"TableName": table, "Key": key, "ConsistentRead": True}).get("Item")
    for effect in effects:
        if effect[0] == "put":
            item = effect[1]
        elif effect[0] == "delete":
            item = None
        else:
            _, expression, names, values, item_key = effect
            item = apply_update(item or dict(item_key), expression, names, values)
    return item


def _batch_get(plan: Plan, kwargs: dict[str, Any], send: Send) -> dict[str, Any]:
    responses: dict[str, list[Item]] = {}
    rest: dict[str, Any] = {}
    for table, request in kwargs["RequestItems"].items():
        unplanned = []
        for key in request["Keys"]:
            if _slot(table, key) in plan:
                item = _planned(plan, table, key, send)
                if item is not None:
                    responses.setdefault(table, []).append(item)
            else:
                unplanned.append(key)
        if unplanned:
            rest[table] = {**request, "Keys": unplanned}
    answer: dict[str, Any] = {"Responses": responses, "UnprocessedKeys": {}}
    if rest:
        found = send("BatchGetItem", {**kwargs, "RequestItems": rest})
        for table, items in found.get("Responses", {}).items():
            responses.setdefault(table, []).extend(items)
        answer["UnprocessedKeys"] = found.get("UnprocessedKeys", {})
    return answer
