"""The one Jinja2 environment of `chalicelib/templates`: the public pages and the emails.

`.html` templates are autoescaped, `.txt` ones (plain-text emails) are not. Jinja2 is imported
on first use, so only the requests and jobs that render something pay for it.

A campaign's descriptions are Markdown: the `markdown` filter renders them as safe HTML
(chalicelib/mail/markup.py) where an `.html` template shows them; `.txt` ones keep the
text.

Text a store writes (a campaign's email subject and body) is a template too, but one we did not
write: `chalicelib.mail.sandbox` renders it, bounded, as plain text that the page and email
templates then escape.
"""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from chalicelib.mail import markup

TEMPLATES = Path(__file__).resolve().parents[1] / "templates"


def day(moment: datetime | None) -> str:
    """`4 March 2099`: a date as the pages and emails show it (UTC)."""
    if moment is None:
        return ""
    return f"{moment.day} {moment.strftime('%B %Y')}"


def markdown(text: str | None) -> Any:
    """A description as an HTML fragment the autoescape leaves alone (it is escaped already)."""
    from markupsafe import Markup

    return Markup(markup.to_html(text) or "")


@lru_cache(maxsize=1)
def environment() -> Any:
    from jinja2 import Environment, FileSystemLoader, select_autoescape

    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(disabled_extensions=("txt",), default=True),
        keep_trailing_newline=True,
    )
    env.filters["day"] = day
    env.filters["markdown"] = markdown
    return env


def render(template: str, **context: Any) -> str:
    return environment().get_template(template).render(**context)
