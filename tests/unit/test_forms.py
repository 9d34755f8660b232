"""Form bodies with PHP style bracket keys parse into the same shape as the JSON body."""

from __future__ import annotations

from urllib.parse import quote, urlencode

import pytest

from chalicelib.api.forms import MAX_DEPTH, MAX_FIELDS, parse_form
from chalicelib.domain.errors import MalformedRequestError


def test_open_loyalty_bracket_keys_become_nested_objects_and_lists() -> None:
    text = (
        "campaign[translations][en][name]=x"
        "&campaign[levels][0]=a&campaign[levels][1]=b"
        "&campaign[active]=1"
    )

    assert parse_form(text) == {
        "campaign": {
            "translations": {"en": {"name": "x"}},
            "levels": ["a", "b"],
            "active": "1",
        }
    }


def test_percent_encoded_brackets_parse_like_literal_ones() -> None:
    text = urlencode({"campaign[translations][en][name]": "x", "campaign[levels][0]": "a"})
    assert "%5B" in text

    assert parse_form(text) == {
        "campaign": {"translations": {"en": {"name": "x"}}, "levels": ["a"]}
    }


def test_empty_brackets_append_in_order() -> None:
    assert parse_form("a[]=1&a[]=2&a[]=3") == {"a": ["1", "2", "3"]}


def test_empty_brackets_append_inside_nested_keys() -> None:
    assert parse_form("c[segments][]=s1&c[segments][]=s2") == {"c": {"segments": ["s1", "s2"]}}


def test_empty_brackets_after_an_explicit_index_append_and_do_not_overwrite() -> None:
    assert parse_form("a[1]=x&a[]=y") == {"a": {"1": "x", "2": "y"}}


def test_plain_keys_stay_flat_and_later_values_win() -> None:
    assert parse_form("username=ann&password=secret&username=bob") == {
        "username": "bob",
        "password": "secret",
    }


def test_blank_values_are_kept() -> None:
    assert parse_form("a=&b[c]=&d") == {"a": "", "b": {"c": ""}, "d": ""}


def test_empty_body_is_an_empty_object() -> None:
    assert parse_form("") == {}


def test_non_contiguous_indexes_stay_an_object() -> None:
    assert parse_form("a[0]=x&a[2]=y") == {"a": {"0": "x", "2": "y"}}


def test_indexes_not_starting_at_zero_stay_an_object() -> None:
    assert parse_form("a[1]=x&a[2]=y") == {"a": {"1": "x", "2": "y"}}


def test_out_of_order_contiguous_indexes_become_an_ordered_list() -> None:
    assert parse_form("a[1]=y&a[0]=x") == {"a": ["x", "y"]}


def test_mixed_digit_and_name_keys_stay_an_object() -> None:
    assert parse_form("a[0]=x&a[name]=y") == {"a": {"0": "x", "name": "y"}}


def test_lists_of_objects() -> None:
    text = "coupons[0][code]=A&coupons[0][value]=1&coupons[1][code]=B"
    assert parse_form(text) == {"coupons": [{"code": "A", "value": "1"}, {"code": "B"}]}


def test_nesting_up_to_the_maximum_depth_is_accepted() -> None:
    key = "a" + "[b]" * MAX_DEPTH
    parsed = parse_form(f"{key}=deep")

    node = parsed["a"]
    for _ in range(MAX_DEPTH - 1):
        node = node["b"]
    assert node == {"b": "deep"}


def test_nesting_deeper_than_the_maximum_is_malformed() -> None:
    key = "a" + "[b]" * (MAX_DEPTH + 1)

    with pytest.raises(MalformedRequestError):
        parse_form(f"{key}=deep")


def test_at_most_max_fields_are_accepted() -> None:
    text = "&".join(f"f{index}=v" for index in range(MAX_FIELDS))

    assert len(parse_form(text)) == MAX_FIELDS


def test_more_than_max_fields_is_malformed() -> None:
    text = "&".join(f"f{index}=v" for index in range(MAX_FIELDS + 1))

    with pytest.raises(MalformedRequestError):
        parse_form(text)


def test_percent_decoding_of_keys_and_values() -> None:
    assert parse_form("na%20me=a%26b%3Dc&plus=a+b&pct=100%25") == {
        "na me": "a&b=c",
        "plus": "a b",
        "pct": "100%",
    }


def test_unicode_keys_and_values() -> None:
    text = f"{quote('名前')}[{quote('ключ')}]={quote('Zoë ☕ 😀')}"

    assert parse_form(text) == {"名前": {"ключ": "Zoë ☕ 😀"}}


def test_raw_unicode_text_is_accepted() -> None:
    assert parse_form("name=Zoë&city=Kraków") == {"name": "Zoë", "city": "Kraków"}


def test_only_ascii_digits_are_list_indexes() -> None:
    # Arabic-Indic and fullwidth digits are digits to str.isdigit(), not indexes to a form
    # (which once turned them into a KeyError, a 500).
    assert parse_form("a[0]=x&a[\u0661]=y") == {"a": {"0": "x", "\u0661": "y"}}
    assert parse_form("a[\uff10]=x") == {"a": {"\uff10": "x"}}
