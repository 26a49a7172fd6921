"""`wait=N`: requests waiting for operations, woken by PostgreSQL NOTIFY instead of polling.

One LISTEN connection per API process; a waiting request holds only a future (no database
connection), so thousands of waiters cost next to nothing. While the LISTEN connection is down,
every waiter is woken to read the database again, and each waits at most its own N seconds.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import defaultdict
from collections.abc import Iterator

import asyncpg
from sqlalchemy.engine import make_url

from service.operations import DONE_CHANNEL

log = logging.getLogger(__name__)
RECONNECT_SECONDS = 1.0
MAX_WAIT_SECONDS = 60


class OperationWaiters:
    def __init__(self, database_url: str) -> None:
        self._dsn = make_url(database_url).set(drivername="postgresql").render_as_string(False)
        self._futures: dict[str, set[asyncio.Future[None]]] = defaultdict(set)
        self._task: asyncio.Task[None] | None = None
        self.listening = asyncio.Event()

    async def start(self) -> None:
        self._task = asyncio.create_task(self._listen(), name="operation-waiters")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        self._wake_all()

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

    def _notified(self, _connection: object, _pid: int, _channel: str, payload: object) -> None:
        self._wake(str(payload))

    def _wake(self, operation_id: str) -> None:
        for future in self._futures.pop(operation_id, set()):
            if not future.done():
                future.set_result(None)

    def _wake_all(self) -> None:
        for operation_id in list(self._futures):
            self._wake(operation_id)

    async def _listen(self) -> None:
        while True:
            try:
                await self._listen_once()
            except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
                log.warning("operation waiters: LISTEN connection unavailable: %s", exc)
            finally:
                self.listening.clear()
            self._wake_all()
            await asyncio.sleep(RECONNECT_SECONDS)

    async def _listen_once(self) -> None:
        """LISTEN until the connection is lost."""
        connection = await asyncpg.connect(self._dsn, timeout=5)
        try:
            lost = asyncio.Event()
            connection.add_termination_listener(lambda _connection: lost.set())
            await connection.add_listener(DONE_CHANNEL, self._notified)
            self.listening.set()
            await lost.wait()
        finally:
            if not connection.is_closed():
                await connection.close()
