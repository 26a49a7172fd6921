"""Work of concurrent requests done together: one round trip (or commit) for many of them.

Under load, the items submitted while a batch is in flight wait for the next one and go
together (at most `max_in_flight` batches at once); a lone item goes at once, as without
batching. Each submitter gets its own item's result, or the batch's exception. An item still
waiting for a batch after `queue_seconds` is withdrawn (TimeoutError): when the work stalls,
the requests behind it fail after their own deadline instead of one stalled batch after another.
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")


class Coalescer(Generic[T, R]):
    def __init__(
        self,
        handle: Callable[[list[T]], Awaitable[list[R]]],
        *,
        max_batch: int,
        max_in_flight: int,
        name: str,
        queue_seconds: float | None = None,
        on_batch: Callable[[int], None] | None = None,
    ) -> None:
        """`handle` does a batch's work and returns one result per item, in their order."""
        self._handle = handle
        self._queue_seconds = queue_seconds
        self._max_batch = max_batch
        self._max_in_flight = max_in_flight
        self._name = name
        self._on_batch = on_batch
        # Items waiting for a batch, in arrival order, with the loop time they arrived at.
        self._pending: list[tuple[T, asyncio.Future[R], float]] = []
        # One timer for all waiting items, not one each (a timer per item cost a fifth of a
        # poll's throughput): it fires at the oldest item's deadline.
        self._watchdog: asyncio.TimerHandle | None = None
        # Counted apart from the tasks: a runner stops counting in the very step in which it
        # finds nothing pending (a finished task leaves the set one loop turn later, and an
        # item submitted in between would wait for the next submitter).
        self._running = 0
        self._runners: set[asyncio.Task[None]] = set()

    async def submit(self, item: T) -> R:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[R] = loop.create_future()
        self._pending.append((item, future, loop.time()))
        if self._queue_seconds is not None and self._watchdog is None:
            self._watchdog = loop.call_later(self._queue_seconds, self._expire)
        if self._running < self._max_in_flight:
            self._running += 1
            # A context of its own: the runner serves many requests, and must not log as the
            # one whose request id happened to be bound when it started.
            runner = asyncio.create_task(
                self._run_pending(), name=self._name, context=contextvars.Context()
            )
            self._runners.add(runner)  # a reference, so the task is not collected mid-run
            runner.add_done_callback(self._runners.discard)
        # Not shielded (a shield cost a loop turn and ~6 µs an item): a submitter that goes away
        # cancels only its own future, which the batch then leaves alone (`done()`); the batch
        # itself runs in the runner's task, and still handles the item.
        return await future

    def _expire(self) -> None:
        """Withdraw the items that waited `queue_seconds` for a batch; an item a batch has
        taken is never cut off (the batch's own timeouts bound it)."""
        assert self._queue_seconds is not None  # noqa: S101 - only scheduled with a deadline
        self._watchdog = None
        now = asyncio.get_running_loop().time()
        expired = 0
        while expired < len(self._pending) and (
            self._pending[expired][2] + self._queue_seconds <= now
        ):
            expired += 1
        for _, future, _ in self._pending[:expired]:
            if not future.done():
                future.set_exception(
                    TimeoutError(f"{self._name}: waited {self._queue_seconds:g} s for a batch")
                )
        del self._pending[:expired]
        if self._pending:
            oldest_deadline = self._pending[0][2] + self._queue_seconds
            self._watchdog = asyncio.get_running_loop().call_later(
                max(0.0, oldest_deadline - now), self._expire
            )

    async def _run_pending(self) -> None:
        try:
            while self._pending:
                batch = [(item, future) for item, future, _ in self._pending[: self._max_batch]]
                del self._pending[: self._max_batch]
                await self._run(batch)
        finally:
            self._running -= 1

    async def _run(self, batch: list[tuple[T, asyncio.Future[R]]]) -> None:
        if self._on_batch is not None:
            self._on_batch(len(batch))
        try:
            results = await self._handle([item for item, _ in batch])
            if len(results) != len(batch):
                raise RuntimeError(f"{self._name}: {len(results)} results for {len(batch)} items")
        except asyncio.CancelledError:
            for _, future in batch:
                future.cancel()
            raise
        except Exception as exc:
            for _, future in batch:
                if not future.done():
                    future.set_exception(exc)
            return
        for (_, future), result in zip(batch, results, strict=True):
            if not future.done():
                future.set_result(result)
