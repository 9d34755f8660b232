"""Campaign descriptions from their Markdown-like text to safe HTML: inline for the Open
Loyalty answers' `format=html` (as OL's own formatter does: `_test_` is `<em>test</em>`, no
paragraph around it), as blocks for the reward page and the reward email's HTML part.

markdown-it-py with raw HTML switched off: tags in the text come out escaped, and a link or
image is kept only with an absolute `http:`, `https:` or `mailto:` URL (no `javascript:`,
`data:` or relative one, which would mean nothing in an email); any other stays text. It is
imported on first use, so only what renders HTML pays for loading it.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

LINK_SCHEMES = frozenset({"http", "https", "mailto"})


def safe_link(url: str) -> bool:
    """Whether a Markdown link or image may point at `url` (already normalised)."""
    try:
        return urlsplit(url).scheme.lower() in LINK_SCHEMES
    except ValueError:  # an unparsable URL (a bad IPv6 host) is no link
        return False


@lru_cache(maxsize=1)
def _renderer() -> Any:
    from markdown_it import MarkdownIt

    renderer = MarkdownIt("js-default", {"html": False, "linkify": False, "typographer": False})
    renderer.validateLink = safe_link
    return renderer


def to_html(text: str | None) -> str | None:
    """The text rendered as an HTML fragment; None stays None."""
    if text is None:
        return None
    return _renderer().render(text)


def to_inline_html(text: str | None) -> str | None:
    """The text's inline Markdown (emphasis, links, code, breaks) as HTML, without blocks;
    None stays None."""
    if text is None:
        return None
    return _renderer().renderInline(text)
