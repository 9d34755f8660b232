"""Form bodies with bracket keys (`campaign[levels][0]=a`) as nested dicts and lists.

The Open Loyalty document sends its requests as `application/x-www-form-urlencoded` with PHP
style keys; parsed here they look exactly like the equivalent JSON body.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qsl

from chalicelib.domain.errors import MalformedRequestError

MAX_DEPTH = 8
MAX_FIELDS = 10_000
_PART = re.compile(r"\[([^\[\]]*)\]")


def _split(key: str) -> list[str]:
    head, bracket, rest = key.partition("[")
    if not bracket:
        return [key]
    parts = [head]
    tail = "[" + rest
    position = 0
    for match in _PART.finditer(tail):
        if match.start() != position:
            break
        parts.append(match.group(1))
        position = match.end()
    # Like PHP, anything after the last well-formed bracket (`a[b]c`) is ignored.
    if len(parts) > MAX_DEPTH + 1:
        raise MalformedRequestError(f"Form key nested deeper than {MAX_DEPTH}: {key[:80]}")
    return parts


def _index(key: str) -> bool:
    """Whether a key is a list index: ASCII digits (str.isdigit() takes every script's)."""
    return key.isascii() and key.isdigit()


def _listify(node: Any) -> Any:
    """Turn dicts whose keys are 0..n-1 into lists, depth first."""
    if not isinstance(node, dict):
        return node
    for key, value in node.items():
        node[key] = _listify(value)
    if node and all(_index(key) for key in node):
        indexes = sorted(int(key) for key in node)
        if indexes == list(range(len(indexes))):
            return [node[str(index)] for index in indexes]
    return node


def parse_form(text: str) -> dict[str, Any]:
    """Parse a urlencoded body; repeated `a[]` keys append, later plain keys win."""
    try:
        # Strict: a percent-escape that is not UTF-8 is refused, not turned into U+FFFD.
        pairs = parse_qsl(text, keep_blank_values=True, max_num_fields=MAX_FIELDS, errors="strict")
    except UnicodeDecodeError as error:
        raise MalformedRequestError("The form's percent-escapes are not valid UTF-8.") from error
    except ValueError as error:
        raise MalformedRequestError(f"A form may have at most {MAX_FIELDS} fields.") from error
    root: dict[str, Any] = {}
    for key, value in pairs:
        parts = _split(key)
        node = root
        for depth, part in enumerate(parts):
            last = depth == len(parts) - 1
            if part == "" and depth > 0:
                # Like PHP, `a[]` appends after the highest index given so far.
                part = str(max((int(key) + 1 for key in node if _index(key)), default=0))
            if last:
                node[part] = value
                break
            child = node.get(part)
            if not isinstance(child, dict):
                child = {}
                node[part] = child
            node = child
    return _listify(root)
