"""A move's body and its refusals: the target is another open cluster of the account's region
with room; each refusal names the cluster and why, as a 400 or a 409."""

from __future__ import annotations

from typing import Any

import pytest

from service.domain.errors import Conflict, InvalidArgument
from service.domain.moves import AccountMove, move_refusal


def test_the_body_names_one_cluster_as_stored() -> None:
    assert AccountMove.parse({"cluster": " EU-2 "}) == "eu-2"


@pytest.mark.parametrize(
    ("body", "words"),
    [
        (None, "JSON object"),
        ([], "JSON object"),
        ({}, "JSON object"),
        ({"cluster": 3}, "JSON object"),
        ({"cluster": "eu-2", "region": "X"}, "region: not a field"),
        ({"cluster": "Bad Name!"}, "cluster name"),
    ],
)
def test_a_bad_body_is_invalid_argument(body: Any, words: str) -> None:
    with pytest.raises(InvalidArgument, match=words):
        AccountMove.parse(body)


def refusal(**changes: Any) -> Exception | None:
    facts: dict[str, Any] = {
        "source": "eu-1",
        "source_region": "EU",
        "target": "eu-2",
        "target_state": "open",
        "target_region": "EU",
        "full": False,
    }
    return move_refusal("ACME", **{**facts, **changes})


def test_an_open_cluster_of_the_region_with_room_takes_the_account() -> None:
    assert refusal() is None


@pytest.mark.parametrize(
    ("changes", "kind", "words"),
    [
        ({"source": None}, Conflict, "no registered cluster"),
        ({"target": "eu-1"}, Conflict, "already on cluster eu-1"),
        ({"target_region": "US"}, InvalidArgument, "eu-2 is in region US"),
        ({"target_state": "draining"}, Conflict, "eu-2 is draining"),
        ({"target_state": "closed"}, Conflict, "eu-2 is closed"),
        ({"full": True}, Conflict, "eu-2 has no room"),
    ],
)
def test_each_refusal_says_why(changes: dict[str, Any], kind: type, words: str) -> None:
    found = refusal(**changes)
    assert isinstance(found, kind)
    assert words in str(found)
