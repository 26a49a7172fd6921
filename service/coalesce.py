"""Work of concurrent requests done together: one round trip (or commit) for many of them.

Under load, the items submitted while a batch is in flight wait for the next one and go
together (at most `max_in_flight` batches at once); a lone item goes at once, as without
batching. Each submitter gets its own item's result, or the batch's exception.
"""

from __future__ import annotations

import asyncio
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
        on_batch: Callable[[int], None] | None = None,
    ) -> None:
        """`handle` does a batch's work and returns one result per item, in their order."""
        self._handle = handle
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
        self._pending.append((item, future))
        if self._running < self._max_in_flight:
            self._running += 1
            runner = asyncio.create_task(self._run_pending(), name=self._name)
            self._runners.add(runner)  # a reference, so the task is not collected mid-run
            runner.add_done_callback(self._runners.discard)
        # Shielded: a submitter that goes away must not cancel the batch it is part of.
        return await asyncio.shield(future)

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
