"""Backoff between retries of a transient failure: jittered, doubling, capped at a minute."""

from __future__ import annotations

import pytest

from workers.tasks import MAX_BACKOFF_SECONDS, retry_delay

SAMPLES = 200


@pytest.mark.parametrize("retries", range(11))
def test_the_delay_stays_between_half_the_ceiling_and_the_ceiling(retries: int) -> None:
    ceiling = min(60.0, 2.0**retries)
    delays = [retry_delay(retries) for _ in range(SAMPLES)]
    assert min(delays) >= ceiling / 2
    assert max(delays) <= ceiling


@pytest.mark.parametrize("retries", [6, 7, 10, 30, 100, 1000])
def test_the_delay_is_capped_at_a_minute_for_many_retries(retries: int) -> None:
    delays = [retry_delay(retries) for _ in range(SAMPLES)]
    assert MAX_BACKOFF_SECONDS == 60.0
    assert min(delays) >= 30.0
    assert max(delays) <= 60.0


def test_the_first_retry_waits_at_most_a_second() -> None:
    delays = [retry_delay(0) for _ in range(SAMPLES)]
    assert min(delays) >= 0.5
    assert max(delays) <= 1.0


def test_the_delay_is_jittered() -> None:
    assert len({retry_delay(6) for _ in range(50)}) > 1


def test_the_delay_is_capped_at_a_minute_even_after_thousands_of_retries() -> None:
    assert 30.0 <= retry_delay(1100) <= 60.0
