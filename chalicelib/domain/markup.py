"""Campaign descriptions from their Markdown-like text to safe HTML (`format=html`).

markdown-it-py with raw HTML switched off: tags in the text come out escaped, and its link
check refuses `javascript:`, `vbscript:`, `file:` and non-image `data:` URLs. It is imported
on first use, so only requests that ask for HTML pay for loading it.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any


@lru_cache(maxsize=1)
def _renderer() -> Any:
    from markdown_it import MarkdownIt

    return MarkdownIt("js-default", {"html": False, "linkify": False, "typographer": False})


def to_html(text: str | None) -> str | None:
    """The text rendered as an HTML fragment; None stays None."""
    if text is None:
        return None
    return _renderer().render(text)
