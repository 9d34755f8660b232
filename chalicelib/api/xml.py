"""A small XML writer for the Imonggo document's flat records (`<customer>`, `<hash>`, `<errors>`)
and arrays of them (`<customers type="array">`).

The document's bodies are one element per line with no indentation, empty values as
`<tag></tag>` and nulls as `<tag nil="true"></tag>`, decimals as Ruby prints them (`30511.0`).
Text is escaped, and characters XML 1.0 cannot carry become U+FFFD, so any stored value gives a
well-formed document.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from decimal import Decimal
from xml.sax.saxutils import escape, quoteattr

DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>'
XmlValue = str | int | bool | Decimal | None

_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def decimal_text(value: Decimal | int) -> str:
    """A decimal as the document prints it: `30511.0`, `10.05`, never an exponent."""
    text = format(Decimal(value).normalize(), "f")
    return text if "." in text else f"{text}.0"


def text_of(value: XmlValue) -> str:
    """Element text of a non-null value (booleans as `true`/`false`, decimals as above)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return decimal_text(value)
    return _NOT_XML.sub("\ufffd", str(value))


def element(name: str, value: XmlValue, **attributes: str) -> str:
    """One line: `<name attr="...">text</name>`; None is `<name nil="true"></name>`."""
    if value is None:
        attributes = {"nil": "true", **attributes}
    attrs = "".join(f" {key}={quoteattr(text_of(val))}" for key, val in attributes.items())
    text = "" if value is None else escape(text_of(value))
    return f"<{name}{attrs}>{text}</{name}>"


def document(root: str, elements: Iterable[str]) -> str:
    """The declaration, then `root` around the given element lines, newline-terminated."""
    return "\n".join([DECLARATION, f"<{root}>", *elements, f"</{root}>", ""])


def record(root: str, fields: Iterable[tuple[str, XmlValue]], typed: bool = False) -> str:
    """A flat record, one element per (name, value) in order.

    `typed` marks decimals `type="decimal"`, as the document's `<hash>` does (its `<customer>`
    has no type attributes).
    """

    def line(name: str, value: XmlValue) -> str:
        if typed and isinstance(value, Decimal):
            return element(name, value, type="decimal")
        return element(name, value)

    return document(root, (line(name, value) for name, value in fields))


def array(root: str, item: str, records: Iterable[Iterable[tuple[str, XmlValue]]]) -> str:
    """Records as Rails writes an array: `<root type="array">` around one `<item>` each;
    none is `<root type="array"/>`, which list clients read as the end."""
    lines = [
        line
        for fields in records
        for line in (f"<{item}>", *(element(name, value) for name, value in fields), f"</{item}>")
    ]
    if not lines:
        return "\n".join([DECLARATION, f'<{root} type="array"/>', ""])
    return "\n".join([DECLARATION, f'<{root} type="array">', *lines, f"</{root}>", ""])
