"""The coalescer: items submitted while a batch is in flight go together; each gets its own."""

from __future__ import annotations

import asyncio
import contextvars

import pytest

from service.adapters.coalesce import Coalescer


class Doubler:
    """Doubles numbers in batches, each batch held until released."""

    def __init__(self) -> None:
        self.batches: list[list[int]] = []
        self.release = asyncio.Event()

    async def __call__(self, items: list[int]) -> list[int]:
        self.batches.append(items)
        await self.release.wait()
        if -1 in items:
            raise ValueError("no negatives")
        return [2 * item for item in items]


async def test_items_that_come_while_a_batch_is_in_flight_go_together_in_order() -> None:
    doubler = Doubler()
    sizes: list[int] = []
    coalescer = Coalescer(doubler, max_batch=3, max_in_flight=1, name="test", on_batch=sizes.append)
    submitted = [asyncio.create_task(coalescer.submit(0))]
    await asyncio.sleep(0.01)  # the first batch is in flight
    submitted += [asyncio.create_task(coalescer.submit(number)) for number in range(1, 6)]
    await asyncio.sleep(0.01)
    doubler.release.set()
    assert await asyncio.gather(*submitted) == [0, 2, 4, 6, 8, 10]
    # The first goes alone at once; the rest waited and went at most three at a time.
    assert doubler.batches == [[0], [1, 2, 3], [4, 5]]
    assert sizes == [1, 3, 2]


async def test_a_failed_batch_fails_each_of_its_items_and_only_those() -> None:
    doubler = Doubler()
    coalescer = Coalescer(doubler, max_batch=10, max_in_flight=1, name="test")
    first = asyncio.create_task(coalescer.submit(1))
    await asyncio.sleep(0.01)
    bad = [asyncio.create_task(coalescer.submit(number)) for number in (-1, 5)]
    doubler.release.set()
    assert await first == 2
    outcomes = await asyncio.gather(*bad, return_exceptions=True)
    assert all(isinstance(outcome, ValueError) for outcome in outcomes)
    assert await coalescer.submit(7) == 14  # the next batch is unaffected


async def test_a_wrong_number_of_results_is_an_error_not_a_hang() -> None:
    async def short(items: list[int]) -> list[int]:
        return items[:-1]

    coalescer = Coalescer(short, max_batch=10, max_in_flight=1, name="short")
    with pytest.raises(RuntimeError, match="0 results for 1 items"):
        await asyncio.wait_for(coalescer.submit(1), timeout=5)


async def test_a_submitter_that_goes_away_does_not_cancel_the_others() -> None:
    doubler = Doubler()
    coalescer = Coalescer(doubler, max_batch=10, max_in_flight=1, name="test")
    leaving = asyncio.create_task(coalescer.submit(1))
    staying = asyncio.create_task(coalescer.submit(2))
    await asyncio.sleep(0)
    leaving.cancel()
    doubler.release.set()
    assert await staying == 4
    assert leaving.cancelled()
    # Its item was still part of the batch: a create whose client left is written all the same.
    assert doubler.batches == [[1, 2]]


async def test_a_submitter_that_goes_away_while_waiting_for_a_batch_is_still_handled() -> None:
    doubler = Doubler()
    coalescer = Coalescer(doubler, max_batch=10, max_in_flight=1, name="test")
    first = asyncio.create_task(coalescer.submit(1))
    await asyncio.sleep(0)  # the first batch is in flight: the next items wait for another
    leaving = asyncio.create_task(coalescer.submit(2))
    staying = asyncio.create_task(coalescer.submit(3))
    await asyncio.sleep(0)
    leaving.cancel()
    doubler.release.set()
    assert (await first, await staying) == (2, 6)
    assert leaving.cancelled()
    assert doubler.batches == [[1], [2, 3]]


async def test_an_item_submitted_as_the_last_batch_ends_is_not_stranded() -> None:
    later: list[asyncio.Task[int]] = []

    async def handle(items: list[int]) -> list[int]:
        if items == [1]:
            # Queued before the runner finishes: it submits once the runner has seen nothing
            # pending and is about to end.
            later.append(asyncio.ensure_future(coalescer.submit(2)))
        return items

    coalescer: Coalescer[int, int] = Coalescer(handle, max_batch=10, max_in_flight=1, name="t")
    assert await coalescer.submit(1) == 1
    assert await asyncio.wait_for(later[0], timeout=2) == 2


async def test_an_item_still_waiting_for_a_batch_after_its_deadline_is_withdrawn() -> None:
    doubler = Doubler()
    coalescer = Coalescer(doubler, max_batch=8, max_in_flight=1, name="test", queue_seconds=0.05)
    held = asyncio.create_task(coalescer.submit(1))
    await asyncio.sleep(0.01)  # its batch is in flight, and stalls
    with pytest.raises(TimeoutError, match=r"waited 0\.05 s for a batch"):
        await coalescer.submit(2)
    doubler.release.set()
    assert await held == 2
    await asyncio.sleep(0.01)
    assert doubler.batches == [[1]]  # the withdrawn item was never handled


async def test_an_item_whose_batch_has_started_gets_its_result_past_the_deadline() -> None:
    doubler = Doubler()
    coalescer = Coalescer(doubler, max_batch=8, max_in_flight=1, name="test", queue_seconds=0.05)
    slow = asyncio.create_task(coalescer.submit(3))
    await asyncio.sleep(0.15)  # three deadlines long inside its batch
    doubler.release.set()
    assert await slow == 6


request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="none")


async def test_batches_run_outside_the_context_of_the_request_that_started_them() -> None:
    seen: list[str] = []

    async def record(items: list[int]) -> list[int]:
        seen.append(request_id.get())
        return items

    coalescer = Coalescer(record, max_batch=8, max_in_flight=1, name="test")
    request_id.set("first-request")
    assert await coalescer.submit(1) == 1
    assert seen == ["none"]
