"""`wait=N`: requests waiting for operations, woken by PostgreSQL NOTIFY instead of polling.

The NOTIFYs come through the API process's one LISTEN connection (service/web/listener.py); a
waiting request holds only a future (no database connection), so thousands of waiters cost next
to nothing. While the LISTEN connection is down, every waiter is woken to read the database
again, and each waits at most its own N seconds.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import defaultdict
from collections.abc import Iterator

from service.store.notifications import DONE_CHANNEL
from service.web.listener import NotificationListener

MAX_WAIT_SECONDS = 60


class OperationWaiters:
    def __init__(self, listener: NotificationListener) -> None:
        self._futures: dict[str, set[asyncio.Future[None]]] = defaultdict(set)
        listener.subscribe(DONE_CHANNEL, self._wake, self._connection_changed)

    @contextlib.contextmanager
    def watch(self, operation_id: str) -> Iterator[asyncio.Future[None]]:
        """A future resolved when `operation_id` is announced done (register before reading)."""
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._futures[operation_id].add(future)
        try:
            yield future
        finally:
            waiting = self._futures.get(operation_id)
            if waiting is not None:
                waiting.discard(future)
                if not waiting:
                    del self._futures[operation_id]

    def _wake(self, operation_id: str) -> None:
        for future in self._futures.pop(operation_id, set()):
            if not future.done():
                future.set_result(None)

    def _connection_changed(self, listening: bool) -> None:
        if not listening:
            self._wake_all()

    def _wake_all(self) -> None:
        for operation_id in list(self._futures):
            self._wake(operation_id)
