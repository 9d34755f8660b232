"""DynamoDB's update and condition expressions evaluated on an item in DynamoDB's JSON form.

A dry run (chalicelib/storage/rehearsal.py) keeps what its writes would leave: `apply_update`
gives an item after an `UpdateExpression`, and `holds` checks a `ConditionExpression` against an
item the same dry run planned (DynamoDB only has the item as it was). They cover the grammar
the service's PynamoDB models write.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import Any

Item = dict[str, Any]  # DynamoDB's JSON form: {"name": {"S": "..."}}


# --- update expressions ------------------------------------------------------------------------

_TOKEN = re.compile(r"\s*(#[A-Za-z0-9_]+|:[A-Za-z0-9_]+|[A-Za-z_][A-Za-z0-9_]*|\[\d+\]|[.,()=+-])")
_CLAUSES = {"SET", "REMOVE", "ADD", "DELETE"}


class _Tokens:
    def __init__(self, text: str) -> None:
        self.items = _TOKEN.findall(text)
        self.at = 0

    def peek(self) -> str | None:
        return self.items[self.at] if self.at < len(self.items) else None

    def take(self, expected: str | None = None) -> str:
        token = self.items[self.at]
        if expected is not None and token != expected:
            raise ValueError(f"update expression: {expected!r} expected, {token!r} found")
        self.at += 1
        return token


def apply_update(item: Item, expression: str, names: dict[str, str], values: Item) -> Item:
    """`item` after DynamoDB's `UpdateExpression` (SET with +, -, if_not_exists and
    list_append; REMOVE; ADD; DELETE), in DynamoDB's JSON form, for a dry run's plan."""
    item = json.loads(json.dumps(item))  # a copy: the plan's earlier states stay as they were
    tokens = _Tokens(expression)
    clause = None
    while tokens.peek() is not None:
        if tokens.peek() in _CLAUSES:
            clause = tokens.take()
        elif tokens.peek() == ",":
            tokens.take()
        path = _path(tokens, names)
        if clause == "SET":
            tokens.take("=")
            _put(item, path, _operand(tokens, names, values, item))
        elif clause == "REMOVE":
            _put(item, path, None)
        elif clause == "ADD":
            _put(item, path, _add(_get(item, path), values[tokens.take()], 1))
        elif clause == "DELETE":
            _put(item, path, _add(_get(item, path), values[tokens.take()], -1))
        else:
            raise ValueError(f"update expression without a clause: {expression!r}")
    return item


Path = list[str | int]


def _path(tokens: _Tokens, names: dict[str, str]) -> Path:
    token = tokens.take()
    path: Path = [names.get(token, token)]
    while tokens.peek() is not None and (tokens.peek() == "." or tokens.peek().startswith("[")):  # type: ignore[union-attr]
        if tokens.take() == ".":
            token = tokens.take()
            path.append(names.get(token, token))
        else:
            path.append(int(tokens.items[tokens.at - 1][1:-1]))
    return path


def _operand(tokens: _Tokens, names: dict[str, str], values: Item, item: Item) -> Any:
    left = _term(tokens, names, values, item)
    if tokens.peek() in ("+", "-"):
        sign = 1 if tokens.take() == "+" else -1
        right = _term(tokens, names, values, item)
        return {"N": _number(Decimal(left["N"]) + sign * Decimal(right["N"]))}
    return left


def _term(tokens: _Tokens, names: dict[str, str], values: Item, item: Item) -> Any:
    token = tokens.peek()
    assert token is not None
    if token.startswith(":"):
        return values[tokens.take()]
    if token in ("if_not_exists", "list_append"):
        tokens.take()
        tokens.take("(")
        first = _term(tokens, names, values, item) if token == "list_append" else None
        path = None if token == "list_append" else _path(tokens, names)
        tokens.take(",")
        second = _operand(tokens, names, values, item)
        tokens.take(")")
        if token == "list_append":
            return {"L": [*first["L"], *second["L"]]}
        found = _get(item, path)  # type: ignore[arg-type]
        return second if found is None else found
    return _get(item, _path(tokens, names))


def _get(item: Item, path: Path) -> Any:
    current: Any = {"M": item}
    for step in path:
        container = current.get("L" if isinstance(step, int) else "M") if current else None
        if container is None:
            return None
        if isinstance(step, int):
            current = container[step] if step < len(container) else None
        else:
            current = container.get(step)
    return current


def _put(item: Item, path: Path, value: Any) -> None:
    parent = _get(item, path[:-1]) if len(path) > 1 else {"M": item}
    if parent is None:
        return
    last = path[-1]
    if isinstance(last, int):
        if value is None:
            del parent["L"][last]
        else:
            parent["L"][last : last + 1] = [value]
    elif value is None:
        parent["M"].pop(last, None)
    else:
        parent["M"][last] = value


def _add(current: Any, value: Any, sign: int) -> Any:
    """ADD (sign 1) or DELETE (-1) of `value` to the attribute `current` (a number or a set)."""
    if "N" in value:
        base = Decimal(current["N"]) if current else Decimal(0)
        return {"N": _number(base + Decimal(value["N"]))}
    ((kind, members),) = value.items()
    had = list(current[kind]) if current else []
    if sign > 0:
        merged = had + [member for member in members if member not in had]
    else:
        merged = [member for member in had if member not in members]
    return {kind: merged} if merged else None


def _number(value: Decimal) -> str:
    return format(value.normalize(), "f")


# --- condition expressions ---------------------------------------------------------------------

_CONDITION_TOKEN = re.compile(
    r"\s*(#[A-Za-z0-9_]+|:[A-Za-z0-9_]+|[A-Za-z_][A-Za-z0-9_]*|\[\d+\]|<>|<=|>=|[.,()=<>])"
)
_COMPARISONS = {"=", "<>", "<", "<=", ">", ">="}


def holds(condition: str, item: Item | None, names: dict[str, str], values: Item) -> bool:
    """Whether DynamoDB's `ConditionExpression` holds for `item` (None: no item), for a write
    to an item the same dry run planned, which DynamoDB cannot check (it has the item before)."""
    tokens = _Tokens("")
    tokens.items = _CONDITION_TOKEN.findall(condition)
    found = _disjunction(tokens, item or {}, names, values)
    if tokens.peek() is not None:
        raise ValueError(f"condition expression: {tokens.peek()!r} unexpected")
    return found


def _disjunction(tokens: _Tokens, item: Item, names: dict[str, str], values: Item) -> bool:
    found = _conjunction(tokens, item, names, values)
    while tokens.peek() == "OR":
        tokens.take()
        found = _conjunction(tokens, item, names, values) or found
    return found


def _conjunction(tokens: _Tokens, item: Item, names: dict[str, str], values: Item) -> bool:
    found = _negation(tokens, item, names, values)
    while tokens.peek() == "AND":
        tokens.take()
        found = _negation(tokens, item, names, values) and found
    return found


def _negation(tokens: _Tokens, item: Item, names: dict[str, str], values: Item) -> bool:
    if tokens.peek() == "NOT":
        tokens.take()
        return not _negation(tokens, item, names, values)
    token = tokens.peek()
    if token == "(":
        tokens.take()
        found = _disjunction(tokens, item, names, values)
        tokens.take(")")
        return found
    if token in ("attribute_exists", "attribute_not_exists", "begins_with", "contains"):
        tokens.take()
        tokens.take("(")
        subject = _get(item, _path(tokens, names))
        other = None
        if token in ("begins_with", "contains"):
            tokens.take(",")
            other = _value(tokens, item, names, values)
        tokens.take(")")
        if token == "attribute_exists":
            return subject is not None
        if token == "attribute_not_exists":
            return subject is None
        if subject is None or other is None:
            return False
        if token == "begins_with":
            return "S" in subject and subject["S"].startswith(other.get("S", ""))
        return _contains(subject, other)
    left = _value(tokens, item, names, values)
    operator = tokens.take()
    if operator == "BETWEEN":
        low = _value(tokens, item, names, values)
        tokens.take("AND")
        high = _value(tokens, item, names, values)
        return _compare(low, "<=", left) and _compare(left, "<=", high)
    if operator == "IN":
        tokens.take("(")
        options = [_value(tokens, item, names, values)]
        while tokens.peek() == ",":
            tokens.take()
            options.append(_value(tokens, item, names, values))
        tokens.take(")")
        return any(_compare(left, "=", option) for option in options)
    if operator not in _COMPARISONS:
        raise ValueError(f"condition expression: {operator!r} unexpected")
    return _compare(left, operator, _value(tokens, item, names, values))


def _value(tokens: _Tokens, item: Item, names: dict[str, str], values: Item) -> Any:
    token = tokens.peek()
    assert token is not None
    if token.startswith(":"):
        return values[tokens.take()]
    if token == "size":
        tokens.take()
        tokens.take("(")
        subject = _get(item, _path(tokens, names))
        tokens.take(")")
        if subject is None:
            return None
        ((_, content),) = subject.items()
        return {"N": str(len(content))}
    return _get(item, _path(tokens, names))


def _comparable(value: Any) -> Any:
    ((kind, content),) = value.items()
    if kind == "N":
        return kind, Decimal(content)
    if kind in ("NS", "SS", "BS"):
        return kind, frozenset(Decimal(m) if kind == "NS" else m for m in content)
    return kind, content


def _compare(left: Any, operator: str, right: Any) -> bool:
    if left is None or right is None:
        return operator == "<>" and (left is None) != (right is None)
    (left_kind, a), (right_kind, b) = _comparable(left), _comparable(right)
    if operator in ("=", "<>"):
        return (left_kind == right_kind and a == b) == (operator == "=")
    if left_kind != right_kind or left_kind not in ("N", "S", "B"):
        return False
    return {"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[operator]


def _contains(subject: Any, other: Any) -> bool:
    ((kind, content),) = subject.items()
    if kind == "S":
        return "S" in other and other["S"] in content
    if kind == "L":
        return any(_compare(member, "=", other) for member in content)
    if kind in ("SS", "NS", "BS"):
        wanted = _comparable(other)[1]
        return wanted in _comparable(subject)[1]
    return False
