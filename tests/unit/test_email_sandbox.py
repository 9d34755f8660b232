"""The bounded sandbox of store-written email text (chalicelib/mail/sandbox.py).

Each refusal is checked by its reason, and each bound by a template that would break it: a
template that gets past a bound either renders something too large or takes seconds, and the
timing assertions catch the second.
"""

from __future__ import annotations

import time

import pytest

from chalicelib.mail import sandbox
from chalicelib.mail.sandbox import MAX_OUTPUT, MAX_RANGE, MAX_SECONDS, TemplateRefused, render

FIELDS = {"firstname": "Ann", "surname": "Smith", "message": "Thanks!", "store_name": "Shop"}


def refusal(source: str) -> str:
    started = time.monotonic()
    with pytest.raises(TemplateRefused) as refused:
        render(source, **FIELDS)
    assert time.monotonic() - started < MAX_SECONDS + 0.5  # refused, not after a long render
    return refused.value.reason


# -- what a store writes ---------------------------------------------------------------------
def test_placeholders_filters_conditions_loops_and_joins_render() -> None:
    source = (
        "Hi {{ firstname|default('there')|title }} {{ surname|upper }},"
        "{% if message %} {{ message|truncate(20) }}{% endif %}"
        " {{ firstname ~ ' & ' ~ store_name }}"
        " {% for word in ['a', 'b'] %}{{ loop.index }}{{ word }}{% endfor %}"
        " {% set shout = firstname.upper() %}{{ shout }} {{ 'x' * 3 }} {{ 2 ** 10 }}"
        " {{ 'a,b'.split(',')|join('-') }} {{ store_name|replace('Sh', 'Cr') }}"
    )

    assert render(source, **FIELDS) == (
        "Hi Ann SMITH, Thanks! Ann & Shop 1a2b ANN xxx 1024 a-b Crop"
    )


def test_html_is_left_as_written_for_the_email_to_escape() -> None:
    assert render("<b>{{ firstname }}</b>", firstname="<i>A</i>") == "<b><i>A</i></b>"


def test_the_sandbox_still_refuses_python_internals() -> None:
    assert refusal("{{ ''.__class__.__mro__[1].__subclasses__() }}").startswith("SecurityError")


# -- no other template, nothing that buffers or recurses ------------------------------------
@pytest.mark.parametrize(
    ("source", "tag"),
    [
        ('{% include "reward_email.html" %}', "{% include %}"),
        ('{% import "reward_email.html" as email %}', "{% import %}"),
        ('{% from "reward_email.html" import x %}', "{% from ... import %}"),
        ('{% extends "reward_email.html" %}', "{% extends %}"),
        ("{% macro m() %}x{% endmacro %}", "{% macro %}"),
        ("{% call range(1) %}x{% endcall %}", "{% call %}"),
        ("{% filter upper %}x{% endfilter %}", "{% filter %}"),
        ("{% set x %}x{% endset %}", "{% set %} ... {% endset %}"),
        ("{% block b %}x{% endblock %}", "{% block %}"),
    ],
)
def test_other_templates_and_buffering_blocks_are_refused(source: str, tag: str) -> None:
    assert refusal(f"Hi\n{source}") == (
        f"SecurityError: {tag} is not allowed in an email template (line 2)"
    )


def test_recursive_loops_are_refused() -> None:
    reason = refusal("{% for x in 'ab' recursive %}{{ loop(x) }}{% endfor %}")
    assert reason == "SecurityError: recursive loops are not allowed (line 1)"


@pytest.mark.parametrize("name", ["lipsum", "namespace", "cycler", "joiner", "dict"])
def test_jinjas_other_globals_are_gone(name: str) -> None:
    assert refusal(f"{{{{ {name}() }}}}") == f"UndefinedError: '{name}' is undefined"


@pytest.mark.parametrize(
    ("source", "reason"),
    [
        ("{{ 'x'.center(1000000000) }}", "SecurityError: calling center() is not allowed"),
        ("{{ '{:>999999999}'.format(1) }}", "SecurityError: calling format() is not allowed"),
        ("{{ 'x'|center(1000000000) }}", "TemplateAssertionError: No filter named 'center'."),
        ("{{ 'x'|indent(1000000000) }}", "TemplateAssertionError: No filter named 'indent'."),
        (
            "{{ '%0999999999d' % 1 }}",
            "SecurityError: % formatting is not allowed; write {{ placeholders }}",
        ),
        ("{{ [1, 2] }}", "SecurityError: a list cannot be written into an email"),
    ],
)
def test_what_could_build_a_huge_value_in_one_call_is_refused(source: str, reason: str) -> None:
    assert refusal(source).startswith(reason)


# -- sizes ------------------------------------------------------------------------------------
def test_range_is_capped() -> None:
    assert render(f"{{{{ range({MAX_RANGE})|length }}}}") == str(MAX_RANGE)
    reason = refusal("{{ range(100000000)|length }}")
    assert reason == f"SecurityError: range() is limited to {MAX_RANGE} items"


TOO_LONG = f"SecurityError: a value is longer than {MAX_OUTPUT} characters"


@pytest.mark.parametrize(
    "source",
    [
        "{{ 'x' * 2000000 }}",
        "{{ ['x'] * 2000000 }}",
        "{% set a = 'x' * 200000 %}{{ a ~ a }}",
        "{% set a = 'x' * 200000 %}{{ a + a }}",
        "{{ ('x' * 1000)|replace('', 'y' * 1000) }}",
        "{{ range(1000)|join('x' * 1000) }}",
    ],
)
def test_no_value_grows_past_the_output_limit(source: str) -> None:
    assert refusal(source) == TOO_LONG


def test_numbers_stay_small() -> None:
    assert refusal("{{ 10 ** 10 ** 8 }}") == "SecurityError: a number is larger than 2**256"
    assert refusal("{% set n = 2 ** 200 %}{{ n * n }}").startswith("SecurityError: a number")


def test_the_output_stops_at_its_limit() -> None:
    assert len(render(f"{{{{ 'x' * {MAX_OUTPUT} }}}}")) == MAX_OUTPUT
    reason = refusal(f"{{{{ 'x' * {MAX_OUTPUT} }}}}!")
    assert reason == f"SecurityError: the text is longer than {MAX_OUTPUT} characters"
    # Many pieces, each small: counted as they stream out.
    reason = refusal("{% for i in range(1000) %}{{ 'y' * 1000 }}{% endfor %}")
    assert reason == f"SecurityError: the text is longer than {MAX_OUTPUT} characters"


def test_a_template_longer_than_any_form_accepts_is_not_even_parsed() -> None:
    source = "{{ firstname }}" * (sandbox.MAX_SOURCE // 10)
    assert refusal(source) == (
        f"SecurityError: the template is longer than {sandbox.MAX_SOURCE} characters"
    )


# -- time -------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "source",
    [
        "{% for i in range(1000) %}{% for j in range(1000) %}{% endfor %}{% endfor %}",
        "{% set s = 'x' * 1000 %}{% for a in s %}{% for b in s %}{{ b }}{% endfor %}{% endfor %}",
    ],
)
def test_loops_stop_after_the_step_budget(source: str) -> None:
    assert (
        refusal(source) == f"SecurityError: the template takes more than {sandbox.MAX_STEPS} steps"
    )


def test_the_deadline_stops_a_render_between_two_steps(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sandbox, "MAX_STEPS", 10**9)
    monkeypatch.setattr(sandbox, "MAX_SECONDS", 0.05)
    nested = "{% for i in range(1000) %}{% for j in range(1000) %}{% endfor %}{% endfor %}"

    started = time.monotonic()
    with pytest.raises(TemplateRefused) as refused:
        render(nested)

    assert time.monotonic() - started < 0.5  # a million iterations would take seconds
    assert refused.value.reason == "SecurityError: the template takes longer than 0.05 s to render"


def test_one_render_does_not_spend_the_next_ones_budget() -> None:
    loop = "{% for i in range(1000) %}{% for j in range(4) %}{% endfor %}{% endfor %}"
    for _ in range(3):
        assert render(loop) == ""


def test_any_failure_is_a_refusal_with_its_reason() -> None:
    assert refusal("{{ 1 / 0 }}") == "ZeroDivisionError: division by zero"
    assert refusal("Hi {{ firstname") == (
        "TemplateSyntaxError: unexpected end of template, expected 'end of print statement'."
        " (line 1)"
    )
