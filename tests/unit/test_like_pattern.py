"""The `like` parameter: a SQL LIKE pattern PostgreSQL accepts, with `\\` as the escape."""

from __future__ import annotations

import pytest

from service.domain.errors import InvalidArgument
from service.store.listing import validate_like


@pytest.mark.parametrize(
    "pattern",
    ["a\\\\", "a\\%", "a\\_", "\\\\", "%", "my\\_acct%", "", "a\\\\\\\\", "\\%x\\_y"],
)
def test_a_pattern_whose_backslashes_all_escape_something_is_accepted(pattern: str) -> None:
    assert validate_like(pattern) == pattern


@pytest.mark.parametrize("pattern", ["a\\", "\\", "a\\\\\\", "%\\%\\"])
def test_a_pattern_ending_in_an_unescaped_backslash_is_rejected(pattern: str) -> None:
    with pytest.raises(InvalidArgument, match=r"^like: pattern must not end with an unescaped"):
        validate_like(pattern)
