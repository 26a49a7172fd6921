"""The fleet's values: where new accounts go, cluster names, the bodies that add and change a
cluster, what a would-be cluster lacks, and when one counts as up."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from service.domain.clusters import (
    ClusterAdd,
    ClusterPatch,
    Room,
    cluster_name,
    is_up,
    place,
    rights_problem,
    version_problem,
)
from service.domain.errors import InvalidArgument


def test_each_new_account_goes_where_the_most_room_is_until_none_is_left() -> None:
    rooms = [Room("b", "EU", 2), Room("a", "EU", 3), Room("c", "US", 1)]

    placed = place(rooms, ["EU", "EU", "US", "EU", "EU", "EU", "US", "EU", "MARS"])

    assert placed == ["a", "a", "c", "b", "a", "b", None, None, None]
    assert [room.free for room in rooms] == [0, 0, 0]


def test_ties_go_by_name() -> None:
    assert place([Room("z", "EU", 1), Room("m", "EU", 1)], ["EU"]) == ["m"]


@pytest.mark.parametrize("raw", ["EU-2", " eu_2 ", "a"])
def test_cluster_names_are_lower_case_identifiers(raw: str) -> None:
    assert cluster_name(raw) == raw.strip().lower()


@pytest.mark.parametrize("raw", ["", "2eu", "eu 2", "e" * 64, "eu.2"])
def test_other_names_are_refused(raw: str) -> None:
    with pytest.raises(InvalidArgument, match="cluster name"):
        cluster_name(raw)


def test_an_add_body_is_normalised_and_every_bad_field_is_named() -> None:
    body = ClusterAdd.parse({"name": "EU-2", "region": " aws_eu ", "url": "postgresql://x"})
    assert (body.name, body.region, body.capacity) == ("eu-2", "AWS_EU", 1000)
    with pytest.raises(InvalidArgument) as refused:
        ClusterAdd.parse({"name": "eu", "capacity": -1, "extra": 1})
    for field in ("region", "url", "capacity", "extra"):
        assert field in refused.value.message


def test_a_change_names_at_least_one_field_and_none_is_null() -> None:
    assert ClusterPatch.parse({"state": "draining"}) == {"state": "draining"}
    for body, problem in (({}, "at least one"), ({"capacity": None}, "capacity: cannot be null")):
        with pytest.raises(InvalidArgument, match=problem):
            ClusterPatch.parse(body)
    with pytest.raises(InvalidArgument, match="state"):
        ClusterPatch.parse({"state": "gone"})


def test_what_a_would_be_cluster_lacks() -> None:
    assert version_problem(140000) is None
    assert version_problem(130011) == "PostgreSQL 13 is older than 14, which we support"
    assert rights_problem(True, False, False) is None
    problem = rights_problem(False, True, False)
    assert problem is not None
    assert "CREATEDB" in problem
    assert "CREATEROLE" not in problem


def test_a_cluster_is_up_until_its_last_outcome_is_an_error() -> None:
    now = datetime.now(UTC)
    assert is_up(None, None)
    assert is_up(now, now - timedelta(seconds=1))
    assert not is_up(now - timedelta(seconds=1), now)
    assert not is_up(None, now)
