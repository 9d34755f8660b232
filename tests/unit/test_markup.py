"""Descriptions as safe HTML: Markdown renders, markup and script links do not."""

from __future__ import annotations

import pytest

from chalicelib.domain.markup import to_html


def test_markdown_renders() -> None:
    assert to_html("_Campaign_ **short** description") == (
        "<p><em>Campaign</em> <strong>short</strong> description</p>\n"
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("<script>alert(1)</script>", "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>\n"),
        (
            '<img src=x onerror="alert(1)">',
            "<p>&lt;img src=x onerror=&quot;alert(1)&quot;&gt;</p>\n",
        ),
        ("[click](javascript:alert(1))", "<p>[click](javascript:alert(1))</p>\n"),
    ],
    ids=["script", "attribute", "javascript-link"],
)
def test_raw_html_and_script_links_come_out_inert(text: str, expected: str) -> None:
    assert to_html(text) == expected


def test_none_stays_none() -> None:
    assert to_html(None) is None
