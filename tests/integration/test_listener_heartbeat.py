"""The LISTEN connection notices when it died silently (no reset ever arrives), so the token
cache stops trusting itself and `wait=N` waiters read the database again."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest
from sqlalchemy.engine import make_url

from service.settings import Settings
from service.web.listener import NotificationListener


@dataclass
class FreezingProxy:
    """Forwards TCP to PostgreSQL until frozen: then the open connections go silent, as behind
    a NAT that forgot them (nothing is forwarded, nothing is closed). New ones still work."""

    target_host: str
    target_port: int
    port: int = 0
    frozen_connections: set[int] = field(default_factory=set)
    _open: set[int] = field(default_factory=set)
    _next_id: int = 0

    def freeze(self) -> None:
        self.frozen_connections |= self._open

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._next_id += 1
        connection = self._next_id
        self._open.add(connection)
        upstream_reader, upstream_writer = await asyncio.open_connection(
            self.target_host, self.target_port
        )
        await asyncio.gather(
            self._pipe(connection, reader, upstream_writer),
            self._pipe(connection, upstream_reader, writer),
            return_exceptions=True,
        )

    async def _pipe(
        self, connection: int, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        try:
            while data := await reader.read(65536):
                if connection in self.frozen_connections:
                    await asyncio.Event().wait()  # silent for good
                writer.write(data)
                await writer.drain()
        finally:
            writer.close()


@pytest.fixture
async def proxy(settings: Settings) -> AsyncIterator[tuple[FreezingProxy, str]]:
    assert settings.database_url is not None
    url = make_url(settings.database_url)
    assert url.host is not None
    assert url.port is not None
    forwarding = FreezingProxy(url.host, url.port)
    server = await asyncio.start_server(forwarding.handle, "127.0.0.1", 0)
    forwarding.port = server.sockets[0].getsockname()[1]
    proxied = url.set(host="127.0.0.1", port=forwarding.port).render_as_string(False)
    yield forwarding, proxied
    server.close()


async def wait_for_state(states: list[bool], wanted: bool, seconds: float) -> float:
    """Seconds until the listener last reported `wanted`; fails after `seconds`."""
    started = time.monotonic()
    while not (states and states[-1] is wanted):
        assert time.monotonic() - started < seconds, f"still {states[-1:]} after {seconds} s"
        await asyncio.sleep(0.02)
    return time.monotonic() - started


async def test_a_silently_dead_listen_connection_is_noticed_and_replaced(
    proxy: tuple[FreezingProxy, str],
) -> None:
    forwarding, proxied_url = proxy
    listener = NotificationListener(proxied_url, heartbeat_seconds=0.2)
    states: list[bool] = []
    listener.subscribe("heartbeat_test", lambda _payload: None, states.append)
    await listener.start()
    try:
        await wait_for_state(states, True, seconds=10)
        forwarding.freeze()
        # Two heartbeats at most: one sent into the silence, one waited for in vain.
        assert await wait_for_state(states, False, seconds=5) < 2.0
        # A new connection is made (through the proxy, which forwards new ones again).
        await wait_for_state(states, True, seconds=10)
        assert listener.listening.is_set()
    finally:
        await listener.stop()
