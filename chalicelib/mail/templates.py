"""The one Jinja2 environment of `chalicelib/templates`: the public pages and the emails.

`.html` templates are autoescaped, `.txt` ones (plain-text emails) are not. Jinja2 is imported
on first use, so only the requests and jobs that render something pay for it.

Text a store writes (a campaign's email subject and body) is a template too, but one we did not
write: it is rendered in a sandbox (`render_user_text`), which refuses attribute tricks such as
`{{ ''.__class__ }}`, and produces plain text that the page and email templates then escape.
"""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

TEMPLATES = Path(__file__).resolve().parents[1] / "templates"


def day(moment: datetime | None) -> str:
    """`4 March 2099`: a date as the pages and emails show it (UTC)."""
    if moment is None:
        return ""
    return f"{moment.day} {moment.strftime('%B %Y')}"


@lru_cache(maxsize=1)
def environment() -> Any:
    from jinja2 import Environment, FileSystemLoader, select_autoescape

    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(disabled_extensions=("txt",), default=True),
        keep_trailing_newline=True,
    )
    env.filters["day"] = day
    return env


def render(template: str, **context: Any) -> str:
    return environment().get_template(template).render(**context)


@lru_cache(maxsize=1)
def _sandbox() -> Any:
    from jinja2.sandbox import SandboxedEnvironment

    return SandboxedEnvironment(autoescape=False)


def render_user_text(source: str, **context: Any) -> str:
    """A store-written template rendered as plain text in the sandbox.

    Raises `jinja2.TemplateError` (syntax errors, and `SecurityError` for what the sandbox
    refuses).
    """
    return _sandbox().from_string(source).render(**context)


def check_user_text(source: str) -> None:
    """Raise `jinja2.TemplateSyntaxError` when a store-written template cannot be parsed."""
    _sandbox().parse(source)
