"""The request examples of README.md and docs/*.md, parsed and run against a local stack.

The convention (docs/index.md, "Reading the examples"):

- A fenced block whose info string is `sh` is run, in page order, by bash from a directory
  whose `.local/` is the stack's data dir (so `$(cat .local/demo-api-key)` reads the demo key).
  `http://127.0.0.1:8000` in it is the stack's own URL. Variables it sets are kept for the
  blocks after it on the same page; each page starts from a fresh stack with none.
- A `sh` block that calls `curl` calls it once, and the next fenced block is its answer, an
  `http` block: `HTTP/1.1 <status>`, headers, a blank line and the body. The status must match,
  each header shown must be in the answer (Content-Type by media type, other values exactly
  unless they hold `…`), every JSON key shown must be in the body (in a list, element by
  element), and every XML element shown must be in it. A JSON string `"$NAME"` in the answer
  sets `$NAME` to the value found there, for the examples after it.
- Other fences (`console`, `text`, `json`, ...) are shown only, and must not call the local
  stack with curl.
"""

from __future__ import annotations

import json
import re
import subprocess
import tempfile
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DOCUMENTED_URL = "http://127.0.0.1:8000"
FENCE = re.compile(r"^(?P<indent> *)(?P<fence>```+)(?P<info>[^\n`]*)$")
CAPTURE = re.compile(r"^\$(?P<name>[A-Z][A-Z0-9_]*)$")
VARIABLE = re.compile(r"^[A-Z][A-Z0-9_]*$")
CURL = re.compile(r"(^|[\s($|;&])curl\s")
LOCAL_CURL = re.compile(r"curl\s[^\n]*(127\.0\.0\.1:8000|localhost:8000|\$BASE)")
ELLIPSIS = "…"
RUN_SECONDS = 60
SHELL_OWN = frozenset({"PATH", "PWD", "OLDPWD", "SHLVL", "HOME", "LANG"})


@dataclass(frozen=True)
class Block:
    """One fenced block of a page: its info string, text and first line number."""

    info: str
    text: str
    line: int


@dataclass(frozen=True)
class Answer:
    """What an example's answer block promises."""

    status: int
    headers: dict[str, str]
    body: str


@dataclass(frozen=True)
class Example:
    """A `sh` block to run, with the answer it must get when it calls curl."""

    page: str
    line: int
    script: str
    answer: Answer | None

    @property
    def name(self) -> str:
        return f"{self.page}:{self.line}"


@dataclass
class Reply:
    """What curl got: status, headers (lower-case names), body."""

    status: int
    headers: dict[str, str]
    body: bytes


@dataclass
class Session:
    """One page's run: the stack's URL and data dir, and the variables set so far."""

    url: str
    workdir: Path
    variables: dict[str, str] = field(default_factory=dict)


class ExampleError(AssertionError):
    """An example that did not do what its page says."""


def blocks(text: str) -> list[Block]:
    """Every fenced block of a Markdown text, in order (indented ones too: lists)."""
    found: list[Block] = []
    lines = text.split("\n")
    index = 0
    while index < len(lines):
        opening = FENCE.match(lines[index])
        if not opening:
            index += 1
            continue
        indent, fence = len(opening["indent"]), opening["fence"]
        body: list[str] = []
        index += 1
        while index < len(lines) and lines[index].strip() != fence:
            body.append(lines[index][indent:])
            index += 1
        found.append(Block(opening["info"].strip(), "\n".join(body), index - len(body)))
        index += 1
    return found


def parse_answer(block: Block) -> Answer:
    head, _, body = block.text.partition("\n\n")
    status_line, *header_lines = head.split("\n")
    match = re.match(r"^HTTP/[\d.]+ (\d{3})\b", status_line)
    if not match:
        raise ExampleError(f"line {block.line}: an answer starts with `HTTP/1.1 <status>`")
    headers = {}
    for line in header_lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return Answer(int(match[1]), headers, body.strip())


def examples(page: str, text: str) -> list[Example]:
    """The page's examples in order; a curl block without an answer block after it, or a curl
    of the local stack outside a `sh` block, is an error of the page."""
    found: list[Example] = []
    fenced = blocks(text)
    for position, block in enumerate(fenced):
        if block.info != "sh":
            if block.info != "http" and LOCAL_CURL.search(block.text):
                raise ExampleError(f"{page}:{block.line}: a curl of the stack outside a sh block")
            continue
        answer = None
        if CURL.search(block.text):
            following = fenced[position + 1] if position + 1 < len(fenced) else None
            if following is None or following.info != "http":
                raise ExampleError(f"{page}:{block.line}: a curl example needs an http answer")
            answer = parse_answer(following)
        found.append(Example(page, block.line, block.text, answer))
    return found


USED = re.compile(r"\$\{?([A-Z][A-Z0-9_]*)")
ASSIGNED = re.compile(r"(?:^|[\s;&(])([A-Z][A-Z0-9_]*)=")


def captures(answer: Answer) -> set[str]:
    """The variables an answer block sets (its `"$NAME"` strings)."""
    return set(re.findall(r'"\$([A-Z][A-Z0-9_]*)"', answer.body))


def undefined(page_examples: list[Example]) -> list[str]:
    """Each use of a variable that no earlier example of the page (nor the same block, before
    it) set: `example:NAME`. Variables inside single quotes count too: a page never needs them."""
    known: set[str] = set()
    missing: list[str] = []
    for example in page_examples:
        for line in example.script.split("\n"):
            code = line.split(" #", 1)[0]
            # Uses before assignments on a line: `A=$B` uses B, then sets A.
            missing += [
                f"{example.name}:{name}" for name in USED.findall(code) if name not in known
            ]
            known |= set(ASSIGNED.findall(code))
        if example.answer is not None:
            known |= captures(example.answer)
    return missing


def _curl_wrapper(headers: Path, body: Path) -> str:
    # The page's own curl, with what it answered kept aside for the check.
    return f'curl() {{ command curl -sS -D "{headers}" -o "{body}" "$@"; }}\nexport -f curl\n'


def run(example: Example, session: Session) -> Reply | None:
    """Run the example's script in the session; the answer curl got, if it called curl."""
    with tempfile.TemporaryDirectory() as scratch:
        headers, body, env_file = (Path(scratch) / name for name in ("headers", "body", "env"))
        script = example.script.replace(DOCUMENTED_URL, session.url)
        program = (
            "set -euo pipefail\nset -a\n"
            + _curl_wrapper(headers, body)
            + script
            + f'\nenv -0 > "{env_file}"\n'
        )
        environment = {
            "PATH": "/usr/local/bin:/usr/bin:/bin",
            "HOME": str(session.workdir),
            "LANG": "C.UTF-8",
            **session.variables,
        }
        done = subprocess.run(
            ["bash", "-c", program],
            cwd=session.workdir,
            env=environment,
            capture_output=True,
            timeout=RUN_SECONDS,
            check=False,
        )
        if done.returncode != 0:
            raise ExampleError(
                f"{example.name}: exited {done.returncode}: {done.stderr.decode(errors='replace')}"
            )
        for entry in env_file.read_bytes().split(b"\0"):
            name, _, value = entry.decode(errors="replace").partition("=")
            if VARIABLE.match(name) and name not in SHELL_OWN and environment.get(name) != value:
                session.variables[name] = value
        if example.answer is None:
            return None
        if not headers.exists():
            raise ExampleError(f"{example.name}: curl got no answer")
        return _reply(
            headers.read_text(errors="replace"), body.read_bytes() if body.exists() else b""
        )


def _reply(raw_headers: str, body: bytes) -> Reply:
    # The last response's head (curl writes one per response it saw).
    heads = [part for part in raw_headers.replace("\r\n", "\n").split("\n\n") if part.strip()]
    status_line, *lines = heads[-1].split("\n")
    headers = {}
    for line in lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return Reply(int(status_line.split()[1]), headers, body)


def check(example: Example, reply: Reply, session: Session) -> None:
    """The answer is what the page shows; captures its `"$NAME"` values into the session."""
    answer = example.answer
    assert answer is not None
    shown = reply.body.decode(errors="replace")[:2000]
    if reply.status != answer.status:
        raise ExampleError(f"{example.name}: status {reply.status}, not {answer.status}: {shown}")
    for name, value in answer.headers.items():
        got = reply.headers.get(name)
        if got is None:
            raise ExampleError(f"{example.name}: no {name} header in the answer")
        if name == "content-type":
            if got.split(";")[0].strip() != value.split(";")[0].strip():
                raise ExampleError(f"{example.name}: Content-Type {got}, not {value}")
        elif ELLIPSIS not in value and got != value:
            raise ExampleError(f"{example.name}: {name}: {got}, not {value}")
    if not answer.body:
        return
    media = answer.headers.get("content-type", "")
    if "json" in media:
        try:
            expected = json.loads(answer.body)
        except json.JSONDecodeError as error:
            raise ExampleError(f"{example.name}: the answer shown is not JSON: {error}") from None
        _match_json(example.name, expected, json.loads(reply.body), "", session)
    elif "xml" in media:
        _match_xml(example.name, answer.body, reply.body)


def _match_json(name: str, expected: Any, actual: Any, path: str, session: Session) -> None:
    if isinstance(expected, str) and (captured := CAPTURE.match(expected)):
        session.variables[captured["name"]] = (
            actual if isinstance(actual, str) else json.dumps(actual)
        )
        return
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            raise ExampleError(f"{name}: {path or 'the body'} is not an object: {actual!r}"[:500])
        for key, value in expected.items():
            if key not in actual:
                raise ExampleError(f"{name}: no {path}{key} in {sorted(actual)}")
            _match_json(name, value, actual[key], f"{path}{key}.", session)
    elif isinstance(expected, list) and expected:
        if not isinstance(actual, list) or len(actual) < len(expected):
            raise ExampleError(f"{name}: {path or 'the body'} has fewer items than shown")
        for index, value in enumerate(expected):
            _match_json(name, value, actual[index], f"{path}{index}.", session)


def _tags(text: str) -> set[str]:
    return set(re.findall(r"<([A-Za-z_][\w.-]*)", text))


def _match_xml(name: str, shown: str, actual: bytes) -> None:
    try:
        ElementTree.fromstring(actual)
    except ElementTree.ParseError as error:
        raise ExampleError(f"{name}: the answer is not XML: {error}") from None
    missing = _tags(shown) - _tags(actual.decode(errors="replace"))
    if missing:
        raise ExampleError(f"{name}: no {sorted(missing)} in {actual[:500]!r}")


def pages(root: Path) -> list[Path]:
    """README.md and every page of docs/, in a stable order."""
    return [root / "README.md", *sorted((root / "docs").rglob("*.md"))]
