"""Query strings as existing clients send them: raw `+` is a plus; strict booleans and integers."""

from __future__ import annotations

import pytest

from service.domain.errors import InvalidArgument
from service.web.query import parse_bool, parse_int, parse_query


@pytest.mark.parametrize(
    ("raw", "params"),
    [
        ("like=a+b%25", {"like": "a+b%"}),
        ("like=a%2Bb", {"like": "a+b"}),
        ("like=a%20b", {"like": "a b"}),
        ("from%4Eame=MY%5FACCT", {"fromName": "MY_ACCT"}),
        ("like=%25", {"like": "%"}),
        ("a=1&a=2", {"a": "1"}),
        ("&&a=1&&b=2&", {"a": "1", "b": "2"}),
        ("", {}),
        ("flag", {"flag": ""}),
        ("a=x=y", {"a": "x=y"}),
    ],
)
def test_a_raw_query_string_is_percent_decoded_and_keeps_its_plus_signs(
    raw: str, params: dict[str, str]
) -> None:
    assert parse_query(raw) == params


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("true", True),
        ("True", True),
        ("TRUE", True),
        ("false", False),
        ("False", False),
        ("FALSE", False),
    ],
)
def test_a_boolean_is_true_or_false_in_any_case(value: str, expected: bool) -> None:
    assert parse_bool({"history": value}, "history", default=not expected) is expected


@pytest.mark.parametrize("default", [True, False])
def test_an_absent_boolean_takes_its_default(default: bool) -> None:
    assert parse_bool({"other": "true"}, "history", default=default) is default


@pytest.mark.parametrize("value", ["yes", "no", "1", "0", "", "t", "truee"])
def test_anything_else_as_a_boolean_is_rejected_naming_the_parameter(value: str) -> None:
    with pytest.raises(InvalidArgument, match=r"^ifExists must be true or false"):
        parse_bool({"ifExists": value}, "ifExists", default=False)


@pytest.mark.parametrize(("value", "expected"), [("3", 3), ("90", 90), ("42", 42), ("007", 7)])
def test_an_integer_within_range_is_accepted(value: str, expected: int) -> None:
    assert parse_int({"gracePeriodInDays": value}, "gracePeriodInDays", low=3, high=90) == expected


@pytest.mark.parametrize("value", ["2", "91", "-5", "0"])
def test_an_integer_out_of_range_is_rejected_naming_the_parameter_and_range(value: str) -> None:
    with pytest.raises(InvalidArgument) as caught:
        parse_int({"gracePeriodInDays": value}, "gracePeriodInDays", low=3, high=90)
    assert caught.value.message == (f"gracePeriodInDays must be between 3 and 90, got {int(value)}")


@pytest.mark.parametrize(
    "value", ["1.5", " 3", "3 ", "3_0", "abc", "", "0x10", "1e3", "٣", "9" * 40]
)
def test_a_value_that_is_not_a_plain_integer_is_rejected(value: str) -> None:
    with pytest.raises(InvalidArgument, match=r"^showLimit must be an integer"):
        parse_int({"showLimit": value}, "showLimit", low=1, high=10_000, default=10_000)


def test_an_absent_integer_takes_its_default() -> None:
    assert parse_int({}, "showLimit", low=1, high=10_000, default=10_000) == 10_000


def test_an_absent_integer_without_a_default_is_required() -> None:
    with pytest.raises(InvalidArgument) as caught:
        parse_int({}, "gracePeriodInDays", low=3, high=90)
    assert caught.value.message == "gracePeriodInDays is required (an integer from 3 to 90)"
