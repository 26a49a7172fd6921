"""The token in both Authorization header forms existing clients send."""

from __future__ import annotations

import pytest

from service.web.auth import token_from_header


@pytest.mark.parametrize(
    "header",
    [
        "Bearer abc",
        "bearer abc",
        "BEARER abc",
        "Bearer   abc  ",
        'Snowflake Token="abc"',
        'snowflake token="abc"',
        'Snowflake Token = "abc"',
    ],
)
def test_the_token_is_found_in_both_header_forms(header: str) -> None:
    assert token_from_header(header) == "abc"


def test_the_token_keeps_its_case_and_punctuation() -> None:
    assert token_from_header("Bearer pat_AbC-123.xyz") == "pat_AbC-123.xyz"


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "   ",
        "garbage",
        "abc",
        "Bearer",
        "Bearer ",
        "Bearer abc def",
        "Basic dXNlcjpwYXNz",
        'Snowflake Token=""',
        "Snowflake Token=abc",
        'Snowflake Token="abc" extra',
    ],
)
def test_a_missing_or_malformed_header_has_no_token(header: str | None) -> None:
    assert token_from_header(header) is None
