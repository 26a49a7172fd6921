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
        self._pending: list[tuple[T, asyncio.Future[R]]] = []
        # Counted apart from the tasks: a runner stops counting in the very step in which it
        # finds nothing pending (a finished task leaves the set one loop turn later, and an
        # item submitted in between would wait for the next submitter).
        self._running = 0
        self._runners: set[asyncio.Task[None]] = set()

    async def submit(self, item: T) -> R:
        future: asyncio.Future[R] = asyncio.get_running_loop().create_future()
        entry = (item, future)
        self._pending.append(entry)
        if self._running < self._max_in_flight:
            self._running += 1
            # A context of its own: the runner serves many requests, and must not log as the
            # one whose request id happened to be bound when it started.
            runner = asyncio.create_task(
                self._run_pending(), name=self._name, context=contextvars.Context()
            )
            self._runners.add(runner)  # a reference, so the task is not collected mid-run
            runner.add_done_callback(self._runners.discard)
        # Shielded: a submitter that goes away must not cancel the batch it is part of.
        if self._queue_seconds is None:
            return await asyncio.shield(future)
        try:
            async with asyncio.timeout(self._queue_seconds):
                return await asyncio.shield(future)
        except TimeoutError:
            if not self._withdraw(entry):
                # Already part of a batch: its outcome is this item's (the work is bounded by
                # its own timeouts), so that no item is cut off halfway through being done.
                return await asyncio.shield(future)
            raise TimeoutError(
                f"{self._name}: waited {self._queue_seconds:g} s for a batch"
            ) from None

    def _withdraw(self, entry: tuple[T, asyncio.Future[R]]) -> bool:
        """Take a still-waiting item out of the queue; False when a batch has it already."""
        for position, pending in enumerate(self._pending):
            if pending is entry:
                del self._pending[position]
                return True
        return False

    async def _run_pending(self) -> None:
        try:
            while self._pending:
                batch = self._pending[: self._max_batch]
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
