"""Descriptions as safe HTML: Markdown renders, markup and script links do not."""

from __future__ import annotations

import pytest

from chalicelib.mail.markup import to_html


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


@pytest.mark.parametrize(
    "link",
    [
        "[x](data:text/html;base64,PHNjcmlwdD4=)",
        "![x](data:image/png;base64,AAAA)",
        "[x](/a)",
        "[x](//evil.example)",
        "[x](vbscript:msgbox)",
        "[x](ftp://files.example)",
    ],
)
def test_only_http_https_and_mailto_links_are_links(link: str) -> None:
    assert to_html(link) == f"<p>{link}</p>\n"


@pytest.mark.parametrize(
    "url", ["https://shop.example/a?b=1", "http://shop.example", "mailto:help@shop.example"]
)
def test_web_and_mail_links_stay_links(url: str) -> None:
    assert to_html(f"[x]({url})") == f'<p><a href="{url}">x</a></p>\n'


def test_none_stays_none() -> None:
    assert to_html(None) is None
