"""Store-written email text (a campaign's subject and opening), rendered in a bounded sandbox.

A store writes these as Jinja with `{{ placeholders }}`. We did not write them, so they run in
Jinja's `ImmutableSandboxedEnvironment` (no `{{ ''.__class__ }}`) and within bounds that make
every render end quickly, with a small text or a `TemplateRefused` saying why:

- No other template: `include`, `import` and `extends` are refused when the text is parsed, and
  so is what buffers output or recurses (`macro`, `call`, `filter` and `set` blocks, `block`,
  recursive loops), so that all output streams out of one generator.
- Only the filters of `FILTERS`; calls only to `range()` (at most `MAX_RANGE` items), to the
  plain `str` methods of `STR_METHODS` and to `loop.cycle()`/`loop.changed()`.
- No value longer than `MAX_OUTPUT` (characters or items) and no integer over `MAX_INT_BITS`
  bits: `*`, `**`, `~`, `+`, `replace` and `join` are checked before they build anything longer;
  `%` on text (printf widths) is refused.
- At most `MAX_STEPS` steps (loop iterations, calls, filters, operators, outputs) and
  `MAX_SECONDS` of wall time, both checked at every step; the output is counted as it streams
  and refused past `MAX_OUTPUT` characters. A template is at most `MAX_SOURCE` characters.

Between two steps the work is bounded (the operations of at most `MAX_SOURCE` characters of
template, each linear in values under `MAX_OUTPUT`: milliseconds), so a render ends within about
`MAX_SECONDS`: the deadline is checked cooperatively and needs no thread or signal, which a
Lambda cannot rely on.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import closing
from contextvars import ContextVar
from functools import lru_cache, update_wrapper
from typing import Any

from jinja2 import TemplateSyntaxError, Undefined, nodes
from jinja2.runtime import Context, LoopContext
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError
from jinja2.visitor import NodeTransformer

MAX_SOURCE = 10_000  # characters of a template: twice the longest a campaign form accepts
MAX_OUTPUT = 256 * 1024  # characters of the rendered text, and the length of any value
MAX_SECONDS = 1.0
MAX_STEPS = 10_000
MAX_RANGE = 1_000
MAX_INT_BITS = 256

FILTERS = frozenset(
    {
        "abs", "capitalize", "count", "d", "default", "first", "float", "int", "last",
        "length", "lower", "replace", "reverse", "round", "title", "trim", "truncate", "upper",
        "wordcount", "join",
    }
)  # fmt: skip
STR_METHODS = frozenset(
    {
        "capitalize", "casefold", "count", "endswith", "find", "isalnum", "isalpha", "isdigit",
        "islower", "isnumeric", "isspace", "istitle", "isupper", "lower", "lstrip",
        "removeprefix", "removesuffix", "rfind", "rsplit", "rstrip", "split", "splitlines",
        "startswith", "strip", "swapcase", "title", "upper",
    }
)  # fmt: skip
LOOP_METHODS = frozenset({"cycle", "changed"})
SCALARS = (str, int, float)


class TemplateRefused(Exception):
    """A store-written template that does not parse, is refused, or fails to render."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class _Budget:
    """The steps and the time one render has left."""

    def __init__(self) -> None:
        self.steps = 0
        self.deadline = time.monotonic() + MAX_SECONDS

    def tick(self) -> None:
        self.steps += 1
        if self.steps > MAX_STEPS:
            _refuse(f"the template takes more than {MAX_STEPS} steps")
        if time.monotonic() > self.deadline:
            _refuse(f"the template takes longer than {MAX_SECONDS:g} s to render")


# The render under way in this thread (and its compilation, which folds constants).
_budget: ContextVar[_Budget] = ContextVar("sandbox_budget")


def _refuse(reason: str) -> Any:
    raise SecurityError(reason)


def _tick() -> None:
    _budget.get().tick()


def _bounded(value: Any) -> Any:
    """`value`, if it is not longer than MAX_OUTPUT nor an integer over MAX_INT_BITS."""
    if isinstance(value, int) and not isinstance(value, bool):
        if value.bit_length() > MAX_INT_BITS:
            _refuse(f"a number is larger than 2**{MAX_INT_BITS}")
    elif hasattr(value, "__len__") and len(value) > MAX_OUTPUT:
        _refuse(f"a value is longer than {MAX_OUTPUT} characters")
    return value


def _text(value: Any) -> str:
    """What `{{ value }}` and `~` write: text and numbers only (a list's text can be huge)."""
    if isinstance(value, (*SCALARS, Undefined)) or value is None:
        return str(value)
    return _refuse(f"a {type(value).__name__} cannot be written into an email")


def _size(value: Any) -> int:
    return len(value) if hasattr(value, "__len__") else 0


def _check_binop(op: str, left: Any, right: Any) -> None:
    """Refuse, before it runs, an operator whose result would be too large."""
    if op == "%" and isinstance(left, str):
        _refuse("% formatting is not allowed; write {{ placeholders }}")
    both_ints = isinstance(left, int) and isinstance(right, int)
    if op == "*" and both_ints:
        bits = left.bit_length() + right.bit_length()
    elif op == "**" and both_ints and abs(left) > 1 and right > 0:
        bits = (abs(left).bit_length() - 1) * right
    else:
        bits = 0
    if bits > MAX_INT_BITS + 1:
        _refuse(f"a number is larger than 2**{MAX_INT_BITS}")
    if op == "*" and not both_ints:
        count, sized = (left, right) if isinstance(left, int) else (right, left)
        length = _size(sized) * count if isinstance(count, int) else 0
    elif op == "+":
        length = _size(left) + _size(right)
    else:
        length = 0
    if length > MAX_OUTPUT:
        _refuse(f"a value is longer than {MAX_OUTPUT} characters")


# -- what the parsed template is rewritten to call (imported by the compiled code) ---------------
def iterate(items: Iterable[Any]) -> Iterator[Any]:
    """A loop's items, one step each."""
    for item in items:
        _tick()
        yield item


def concat(*values: Any) -> str:
    """`a ~ b`, bounded."""
    _tick()
    parts = [_text(value) for value in values]
    if sum(map(len, parts)) > MAX_OUTPUT:
        _refuse(f"a value is longer than {MAX_OUTPUT} characters")
    return "".join(parts)


def bounded_range(*args: int) -> range:
    """`range()` of at most MAX_RANGE items."""
    items = range(*args)
    if len(items) > MAX_RANGE:
        _refuse(f"range() is limited to {MAX_RANGE} items")
    return items


def _replace(value: Any, old: str, new: str, count: int | None = None) -> str:
    text, old, new = _text(value), str(old), str(new)
    times = text.count(old) if old else len(text) + 1
    if count is not None and count >= 0:
        times = min(times, count)
    if len(text) + times * (len(new) - len(old)) > MAX_OUTPUT:
        _refuse(f"a value is longer than {MAX_OUTPUT} characters")
    return text.replace(old, new, -1 if count is None else count)


def _join(values: Iterable[Any], separator: str = "") -> str:
    parts = [_text(value) for value in values]
    if sum(map(len, parts)) + len(separator) * max(len(parts) - 1, 0) > MAX_OUTPUT:
        _refuse(f"a value is longer than {MAX_OUTPUT} characters")
    return str(separator).join(parts)


def _guarded(function: Callable[..., Any]) -> Callable[..., Any]:
    """A filter that counts as a step and whose result is bounded (Jinja's `pass_*` marks kept)."""

    def guarded(*args: Any, **kwargs: Any) -> Any:
        _tick()
        return _bounded(function(*args, **kwargs))

    return update_wrapper(guarded, function)


class _Guards(NodeTransformer):
    """Refuses what an email template may not do; routes loops and `~` through the guards."""

    REFUSED = {
        nodes.Extends: "{% extends %}",
        nodes.Include: "{% include %}",
        nodes.Import: "{% import %}",
        nodes.FromImport: "{% from ... import %}",
        nodes.Macro: "{% macro %}",
        nodes.CallBlock: "{% call %}",
        nodes.FilterBlock: "{% filter %}",
        nodes.AssignBlock: "{% set %} ... {% endset %}",
        nodes.Block: "{% block %}",
    }

    def generic_visit(self, node: nodes.Node, *args: Any, **kwargs: Any) -> Any:
        name = self.REFUSED.get(type(node))
        if name:
            _refuse(f"{name} is not allowed in an email template (line {node.lineno})")
        return super().generic_visit(node, *args, **kwargs)

    def visit_For(self, node: nodes.For) -> nodes.Node:
        if node.recursive:
            _refuse(f"recursive loops are not allowed (line {node.lineno})")
        node = self.generic_visit(node)
        node.iter = _guard_call("iterate", [node.iter], node.lineno)
        return node

    def visit_Concat(self, node: nodes.Concat) -> nodes.Node:
        node = self.generic_visit(node)
        return _guard_call("concat", node.nodes, node.lineno)


def _guard_call(guard: str, args: list[nodes.Expr], lineno: int) -> nodes.Call:
    return nodes.Call(
        nodes.ImportedName(f"{__name__}.{guard}"), args, [], None, None, lineno=lineno
    )


class _Sandbox(ImmutableSandboxedEnvironment):
    """The sandbox with the checks above: parse, operators, calls and output."""

    intercepted_binops = frozenset({"+", "-", "*", "/", "//", "%", "**"})
    ALLOWED_CALLS = frozenset({bounded_range, iterate, concat})

    def __init__(self) -> None:
        super().__init__(autoescape=False, finalize=_finalize)
        self.globals.clear()  # no lipsum(), namespace(), cycler()...
        self.globals["range"] = bounded_range
        filters = {name: self.filters[name] for name in FILTERS}
        filters.update(replace=_replace, join=_join)
        self.filters = {name: _guarded(function) for name, function in filters.items()}

    def _parse(self, source: str, name: str | None, filename: str | None) -> nodes.Template:
        tree = _Guards().visit(super()._parse(source, name, filename))
        return tree.set_environment(self)

    def call_binop(self, context: Context, op: str, left: Any, right: Any) -> Any:
        _tick()
        _check_binop(op, left, right)
        return _bounded(super().call_binop(context, op, left, right))

    def call(__self, __context: Context, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        _tick()
        owner = getattr(__obj, "__self__", None)
        name = getattr(__obj, "__name__", "")
        allowed = (
            any(__obj is guard for guard in __self.ALLOWED_CALLS)
            or isinstance(__obj, Undefined)  # raises the usual "is undefined"
            or (isinstance(owner, str) and name in STR_METHODS)
            or (isinstance(owner, LoopContext) and name in LOOP_METHODS)
        )
        if not allowed:
            _refuse(f"calling {name or type(__obj).__name__}() is not allowed")
        return _bounded(super().call(__context, __obj, *args, **kwargs))


def _finalize(value: Any) -> str:
    """Every `{{ value }}`: one step, text or a number, bounded."""
    _tick()
    return _bounded(_text(value))


@lru_cache(maxsize=1)
def _environment() -> _Sandbox:
    return _Sandbox()


def _reason(error: Exception) -> str:
    if isinstance(error, TemplateSyntaxError):
        return f"{type(error).__name__}: {error.message} (line {error.lineno})"
    return f"{type(error).__name__}: {error}"


def render(source: str, **context: Any) -> str:
    """`source` rendered as plain text with `context`, within the bounds above.

    Raises `TemplateRefused` whatever goes wrong: rendering the same text with the same values
    fails the same way again.
    """
    budget = _Budget()
    token = _budget.set(budget)
    try:
        if len(source) > MAX_SOURCE:
            _refuse(f"the template is longer than {MAX_SOURCE} characters")
        template = _environment().from_string(source)
        parts: list[str] = []
        length = 0
        with closing(template.generate(**context)) as chunks:
            for chunk in chunks:
                budget.tick()
                length += len(chunk)
                if length > MAX_OUTPUT:
                    _refuse(f"the text is longer than {MAX_OUTPUT} characters")
                parts.append(chunk)
        return "".join(parts)
    except Exception as error:  # the text's own failure, whatever it is: never a crash
        raise TemplateRefused(_reason(error)) from error
    finally:
        _budget.reset(token)
