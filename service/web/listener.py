"""The API process's one LISTEN connection, shared by whoever needs PostgreSQL's NOTIFYs.

Subscribers name a channel and a callback for its payloads, and are told whenever the
connection comes up or goes down (NOTIFYs sent meanwhile are lost: each decides what that means).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable

import asyncpg
import structlog
from sqlalchemy.engine import make_url

from service.adapters.logs import error_text

log = structlog.get_logger(__name__)
RECONNECT_SECONDS = 1.0
# A quiet LISTEN connection sends nothing, so one that died silently (a NAT's idle timeout, a
# partition: no reset ever arrives) would look alive forever; it is asked a query this often,
# and counts as lost when the answer takes as long again.
HEARTBEAT_SECONDS = 5.0

PayloadHandler = Callable[[str], None]
StateHandler = Callable[[bool], None]


class NotificationListener:
    def __init__(self, database_url: str, *, heartbeat_seconds: float = HEARTBEAT_SECONDS) -> None:
        self._dsn = make_url(database_url).set(drivername="postgresql").render_as_string(False)
        self._heartbeat_seconds = heartbeat_seconds
        self._channels: dict[str, list[PayloadHandler]] = {}
        self._state_handlers: list[StateHandler] = []
        self._task: asyncio.Task[None] | None = None
        self.listening = asyncio.Event()
        self.backend_pid: int | None = None  # the LISTEN connection's server process, when up

    def subscribe(
        self, channel: str, on_payload: PayloadHandler, on_state: StateHandler | None = None
    ) -> None:
        """Call `on_payload` with each NOTIFY on `channel`, `on_state` as the connection comes
        up (True) or goes down (False). Subscribe before `start`; a channel's subscribers, and
        the state handlers, are called in the order they subscribed."""
        self._channels.setdefault(channel, []).append(on_payload)
        if on_state is not None:
            self._state_handlers.append(on_state)

    async def start(self) -> None:
        self._task = asyncio.create_task(self._listen(), name="notification-listener")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        self._set_state(False)

    def _set_state(self, listening: bool) -> None:
        if listening:
            self.listening.set()
        else:
            self.listening.clear()
        for handler in self._state_handlers:
            handler(listening)

    async def _listen(self) -> None:
        while True:
            try:
                await self._listen_once()
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError) as exc:
                log.warning("listener.unavailable", error=error_text(exc))
            finally:
                self._set_state(False)
            await asyncio.sleep(RECONNECT_SECONDS)

    async def _listen_once(self) -> None:
        """LISTEN until the connection is lost."""
        connection = await asyncpg.connect(self._dsn, timeout=5)
        try:
            lost = asyncio.Event()
            connection.add_termination_listener(lambda _connection: lost.set())
            for channel, handlers in self._channels.items():
                await connection.add_listener(channel, _payload_to(handlers))
            self.backend_pid = connection.get_server_pid()
            self._set_state(True)
            while not lost.is_set():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(lost.wait(), timeout=self._heartbeat_seconds)
                    return
                await connection.fetchval("SELECT 1", timeout=self._heartbeat_seconds)
        finally:
            # Not close(): it waits for the server, which a dead connection never answers.
            connection.terminate()


def _payload_to(
    handlers: list[PayloadHandler],
) -> Callable[[object, int, str, object], None]:
    def notified(_connection: object, _pid: int, _channel: str, payload: object) -> None:
        for on_payload in handlers:
            on_payload(str(payload))

    return notified
