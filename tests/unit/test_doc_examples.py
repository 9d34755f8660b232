"""The examples' convention (doctools/examples.py), and every page keeping it, without a stack."""

from __future__ import annotations

from pathlib import Path

import pytest

from doctools import examples

ROOT = Path(__file__).resolve().parents[2]
PAGES = examples.pages(ROOT)

PAGE = """
```sh
BASE=http://127.0.0.1:8000
curl -X POST $BASE/recipients -d x=1
```

```http
HTTP/1.1 201 Created
Content-Type: application/json
Idempotent-Replayed: true

{"id": "$RECIPIENT", "tags": [{"name": "…"}]}
```

Then:

```sh
curl $BASE/recipients/$RECIPIENT
```

```http
HTTP/1.1 200 OK
```
"""


def _session() -> examples.Session:
    return examples.Session("http://127.0.0.1:1234", ROOT)


def test_a_page_is_its_sh_blocks_each_curl_with_the_answer_after_it() -> None:
    [first, second] = examples.examples("page.md", PAGE)

    assert first.answer is not None
    assert first.answer.status == 201
    assert first.answer.headers["idempotent-replayed"] == "true"
    assert examples.captures(first.answer) == {"RECIPIENT"}
    assert second.answer is not None and second.answer.status == 200
    assert examples.undefined([first, second]) == []


def test_a_variable_no_earlier_example_set_is_found() -> None:
    [_, second] = examples.examples("page.md", PAGE)

    assert examples.undefined([second]) == ["page.md:17:BASE", "page.md:17:RECIPIENT"]


@pytest.mark.parametrize(
    "text",
    [
        "```sh\ncurl http://127.0.0.1:8000/health\n```\n",  # no answer
        "```sh\ncurl http://127.0.0.1:8000/health\n```\n\n```json\n{}\n```\n",
        "```console\ncurl http://127.0.0.1:8000/health\n```\n",  # a curl not run
        "```sh\ncurl $BASE/health\n```\n\n```http\n201\n```\n",  # no status line
    ],
)
def test_a_curl_that_would_not_be_run_and_checked_is_an_error_of_the_page(text: str) -> None:
    with pytest.raises(examples.ExampleError):
        examples.examples("page.md", text)


def test_the_answer_must_have_the_status_headers_and_keys_shown_and_sets_captures() -> None:
    [first, _] = examples.examples("page.md", PAGE)
    session = _session()
    headers = {"content-type": "application/json; charset=utf-8", "idempotent-replayed": "true"}
    good = examples.Reply(201, headers, b'{"id": "r1", "tags": [{"name": "a", "more": 1}]}')

    examples.check(first, good, session)

    assert session.variables == {"RECIPIENT": "r1"}
    for reply in (
        examples.Reply(200, headers, good.body),
        examples.Reply(201, {**headers, "idempotent-replayed": "false"}, good.body),
        examples.Reply(201, {"idempotent-replayed": "true"}, good.body),
        examples.Reply(201, headers, b'{"id": "r1", "tags": []}'),
        examples.Reply(201, headers, b'{"tags": [{"name": "a"}]}'),
    ):
        with pytest.raises(examples.ExampleError):
            examples.check(first, reply, _session())


def test_xml_answers_must_hold_every_element_shown() -> None:
    text = (
        "```sh\ncurl $BASE/x\n```\n\n```http\nHTTP/1.1 200 OK\nContent-Type: application/xml\n\n"
        "<result><status>Success</status><reward><id>…</id></reward></result>\n```\n"
    )
    [example] = examples.examples("page.md", text)
    xml = {"content-type": "application/xml"}

    examples.check(
        example,
        examples.Reply(200, xml, b"<result><status/><reward><id/></reward></result>"),
        _session(),
    )
    with pytest.raises(examples.ExampleError):
        examples.check(example, examples.Reply(200, xml, b"<result><status/></result>"), _session())


@pytest.mark.parametrize("page", PAGES, ids=[str(page.relative_to(ROOT)) for page in PAGES])
def test_every_page_keeps_the_convention_and_uses_only_values_it_made(page: Path) -> None:
    found = examples.examples(page.name, page.read_text())

    assert examples.undefined(found) == []


def test_the_readme_is_short_and_nothing_points_outside_the_project() -> None:
    assert (ROOT / "README.md").stat().st_size < 8 * 1024
    for page in PAGES:
        assert "../shared" not in page.read_text(), page
