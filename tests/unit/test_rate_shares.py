"""A process's share of a token's bucket: spent without Redis, sized to the demand, never
above floor(rate * interval), refusals repeated only briefly, idle shares given back."""

from __future__ import annotations

from service.adapters.rate_shares import RateShares, Reconciliation


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_share_grows_with_demand_up_to_its_cap_and_is_spent_locally() -> None:
    shares = RateShares(100.0, interval=0.1, clock=Clock())
    assert shares.cap == 10
    assert shares.spend("k") is None  # nothing held: ask Redis
    assert shares.ask("k") == 1  # no demand seen yet: only its own token
    assert shares.answered("k", 1, 1, 0.0) == 0.0
    assert shares.spend("k") is None
    asked = shares.ask("k")
    assert asked == 2  # one for the request, one for the next (the demand so far)
    assert shares.answered("k", asked, asked, 0.0) == 0.0
    assert shares.spend("k") == 0.0  # from the share
    [top_up] = shares.reconciliation()
    assert top_up == Reconciliation("k", 6, 0.0)  # twice the 3 used, below the cap of 10
    shares.reconciled([top_up], [6])
    assert [shares.spend("k") for _ in range(7)] == [0.0] * 6 + [None]


def test_a_refusal_is_repeated_for_at_most_one_interval() -> None:
    clock = Clock()
    shares = RateShares(1.0, interval=0.1, clock=clock)
    assert shares.cap == 0  # a slow token holds nothing: every request asks Redis
    assert shares.answered("k", shares.ask("k"), 0, 2.5) == 2.5
    clock.now = 0.05
    assert shares.spend("k") == 2.45
    clock.now = 0.1
    assert shares.spend("k") is None


def test_idle_shares_are_given_back_and_nothing_is_taken_when_redis_is_unreachable() -> None:
    shares = RateShares(100.0, interval=0.1, clock=Clock())
    shares.answered("k", shares.ask("k"), 1, 0.0)
    [top_up] = shares.reconciliation()
    shares.reconciled([top_up], None)  # Redis could not be asked
    assert shares.spend("k") is None
    assert shares.reconciliation() == []  # not used since and nothing held: forgotten
    shares.answered("k", shares.ask("k"), 1, 0.0)
    [top_up] = shares.reconciliation()
    shares.reconciled([top_up], [2])
    assert shares.reconciliation() == [Reconciliation("k", 0, 2.0)]  # idle: given back
    assert len(shares) == 0


def test_a_request_that_went_away_leaves_nothing_asked_behind() -> None:
    shares = RateShares(100.0, interval=0.1, clock=Clock())
    shares.answered("k", shares.ask("k"), 1, 0.0)
    asked = shares.ask("k")
    assert asked == 2
    assert shares.answered("k", asked, 0, 0.0) == 0.0  # cancelled: nothing granted, no refusal
    assert shares.spend("k") is None
    [top_up] = shares.reconciliation()
    assert top_up.want == 2  # twice the one used, nothing still counted as asked
