"""Account names: identifiers, case-insensitive, stored upper case; anything else is a 400."""

from __future__ import annotations

import pytest

from service.domain.errors import InvalidArgument
from service.domain.names import normalize_account_name


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("my_acct", "MY_ACCT"),
        ("My_Acct", "MY_ACCT"),
        ("MY_ACCT", "MY_ACCT"),
        ("_x$1", "_X$1"),
        ("a", "A"),
        ("_", "_"),
    ],
)
def test_a_valid_name_is_stored_upper_case(typed: str, stored: str) -> None:
    assert normalize_account_name(typed) == stored


def test_a_name_of_255_characters_is_accepted() -> None:
    assert normalize_account_name("a" * 255) == "A" * 255


@pytest.mark.parametrize(
    "name",
    [
        "1abc",  # leading digit
        "$abc",  # leading dollar
        '"abc"',  # double-quoted identifier
        "my acct",  # space
        " abc",
        "abc ",
        "a-b",
        "a.b",
        "café",  # only ASCII letters
        "a" * 256,
        "",
    ],
)
def test_a_name_that_is_not_an_identifier_is_rejected(name: str) -> None:
    with pytest.raises(InvalidArgument, match=r"^name .* is not a valid account name"):
        normalize_account_name(name)


def test_the_error_names_the_field_it_was_given() -> None:
    with pytest.raises(InvalidArgument) as caught:
        normalize_account_name("9lives", field="admin_name")
    assert caught.value.message.startswith("admin_name '9lives' ")
    assert caught.value.status == 400
    assert caught.value.code == "invalid_argument"


def test_a_very_long_rejected_name_is_shortened_in_the_message() -> None:
    with pytest.raises(InvalidArgument) as caught:
        normalize_account_name("a" * 300)
    assert "a" * 64 + "…" in caught.value.message
    assert "a" * 65 not in caught.value.message
