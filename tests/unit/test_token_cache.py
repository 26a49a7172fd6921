"""The API's token cache: trusted only while listening, dropped on change, TTL and expiry."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from service.adapters.token_cache import MAX_ENTRIES, TokenCache
from service.domain.roles import Role
from service.domain.tokens import Principal

ALICE = Principal("token-1", 7, "ACME", Role.ADMIN)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def listening_cache(ttl: float = 30.0) -> tuple[TokenCache, Clock]:
    clock = Clock()
    cache = TokenCache(ttl, clock=clock)
    cache.listening(True)
    return cache, clock


def test_a_principal_is_kept_until_its_time_to_live_runs_out() -> None:
    cache, clock = listening_cache(ttl=30)
    cache.put("h1", ALICE, None, generation=cache.generation)
    clock.now += 29.9
    assert cache.get("h1") == ALICE
    clock.now += 0.2
    assert cache.get("h1") is None
    assert len(cache) == 0


def test_a_change_of_the_tokens_row_drops_it_and_only_it() -> None:
    cache, _ = listening_cache()
    cache.put("h1", ALICE, None, generation=cache.generation)
    cache.put("h2", ALICE, None, generation=cache.generation)
    cache.changed("h1")
    assert cache.get("h1") is None
    assert cache.get("h2") == ALICE


def test_a_lookup_that_began_before_a_change_is_not_kept() -> None:
    cache, _ = listening_cache()
    began = cache.generation
    cache.changed("h1")  # the NOTIFY came while the row was being read
    cache.put("h1", ALICE, None, generation=began)
    assert cache.get("h1") is None


def test_nothing_is_kept_while_not_listening_and_all_is_dropped_on_reconnect() -> None:
    cache = TokenCache(30)
    cache.put("h1", ALICE, None, generation=cache.generation)
    assert cache.get("h1") is None  # never listening: a change could go unseen
    cache.listening(True)
    cache.put("h1", ALICE, None, generation=cache.generation)
    assert cache.get("h1") == ALICE
    cache.listening(False)  # NOTIFYs sent meanwhile are lost
    assert cache.get("h1") is None
    cache.listening(True)
    assert cache.get("h1") is None


def test_a_token_past_its_own_expiry_is_not_served() -> None:
    cache, _ = listening_cache(ttl=3600)
    cache.put("h1", ALICE, datetime.now(UTC) - timedelta(seconds=1), generation=cache.generation)
    assert cache.get("h1") is None


def test_a_ttl_of_zero_turns_the_cache_off() -> None:
    cache, _ = listening_cache(ttl=0)
    cache.put("h1", ALICE, None, generation=cache.generation)
    assert cache.get("h1") is None


def test_the_cache_is_bounded_and_forgets_the_oldest_first() -> None:
    cache, _ = listening_cache()
    for number in range(MAX_ENTRIES + 1):
        cache.put(f"h{number}", ALICE, None, generation=cache.generation)
    assert len(cache) == MAX_ENTRIES
    assert cache.get("h0") is None
    assert cache.get(f"h{MAX_ENTRIES}") == ALICE
