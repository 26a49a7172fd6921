"""A closed-loop HTTP/1.1 load generator, run in its own process by `provisioner bench`.

Each of `connections` keep-alive connections sends a request, waits for the whole response,
records the latency and sends the next one, for `duration` seconds after a `warmup`. The
client is a bare asyncio protocol on uvloop (no HTTP library, no coroutine per request), so it
spends a few microseconds per request and leaves the CPU to the server it measures.

Input: a JSON `LoadSpec` as the only argument. Output: a JSON `LoadResult` on stdout.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import signal
import sys
import time
from dataclasses import asdict, dataclass, field
from typing import Any, cast

import uvloop

from service.bench.stats import LoadResult, summarize

_HEADER_END = b"\r\n\r\n"
READY_LINE = "load generator ready\n"


@dataclass(frozen=True)
class LoadSpec:
    """What to send. `paths` are used in turn; `{n}` in a path or the body is a unique number."""

    host: str
    port: int
    method: str = "GET"
    paths: list[str] = field(default_factory=lambda: ["/"])
    body: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    connections: int = 64
    duration: float = 5.0
    warmup: float = 1.0
    expect: list[int] = field(default_factory=lambda: [200])
    # Open loop: at most this many requests per second in all (0 = as fast as answers come).
    rate: float = 0.0


class _Run:
    """Shared counters of one load run; requests are numbered across all connections."""

    def __init__(self, spec: LoadSpec) -> None:
        self.spec = spec
        self.counter = itertools.count()
        self.recording = False
        self.stopping = False
        self.latencies: list[float] = []
        self.unexpected: dict[int, int] = {}
        self.errors = 0
        self.closed = 0
        self.all_closed = asyncio.get_running_loop().create_future()
        self._head = f"{spec.method} {{path}} HTTP/1.1\r\nHost: {spec.host}:{spec.port}\r\n"
        self._fixed = "".join(f"{name}: {value}\r\n" for name, value in spec.headers.items())

    def request(self) -> bytes:
        n = next(self.counter)
        paths = self.spec.paths
        path = paths[n % len(paths)].replace("{n}", str(n))
        head = self._head.format(path=path) + self._fixed
        if self.spec.body is None:
            return (head + "\r\n").encode()
        body = self.spec.body.replace("{n}", str(n)).encode()
        return (
            head + f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
        ).encode() + body

    def record(self, status: int, seconds: float) -> None:
        if not self.recording:
            return
        if status in self.spec.expect:
            self.latencies.append(seconds)
        else:
            self.unexpected[status] = self.unexpected.get(status, 0) + 1

    def connection_closed(self) -> None:
        self.closed += 1
        if self.closed == self.spec.connections and not self.all_closed.done():
            self.all_closed.set_result(None)


class _Connection(asyncio.Protocol):
    def __init__(self, run: _Run) -> None:
        self._run = run
        self._buffer = bytearray()
        self._transport: asyncio.Transport | None = None
        self._sent_at = 0.0
        self._due = 0.0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.Transport, transport)  # uvloop's is no subclass
        self._send()

    def _open_transport(self) -> asyncio.Transport | None:
        """The connection's transport; None once the run is stopping (it is closed then)."""
        assert self._transport is not None  # noqa: S101 - set in connection_made
        if self._run.stopping:
            self._transport.close()
            return None
        return self._transport

    def _send(self) -> None:
        if self._open_transport() is None:
            return
        spec = self._run.spec
        if spec.rate > 0:
            # Each connection keeps its share of the rate; a late answer is not caught up on.
            now = time.perf_counter()
            self._due = max(now, self._due + spec.connections / spec.rate)
            if self._due > now:
                asyncio.get_running_loop().call_later(self._due - now, self._send_now)
                return
        self._send_now()

    def _send_now(self) -> None:
        transport = self._open_transport()
        if transport is None:
            return
        self._sent_at = time.perf_counter()
        transport.write(self._run.request())

    def data_received(self, data: bytes) -> None:
        self._buffer += data
        while True:
            head_end = self._buffer.find(_HEADER_END)
            if head_end < 0:
                return
            length = _content_length(self._buffer, head_end)
            total = head_end + len(_HEADER_END) + length
            if len(self._buffer) < total:
                return
            status = int(self._buffer[9:12])
            del self._buffer[:total]
            self._run.record(status, time.perf_counter() - self._sent_at)
            self._send()

    def connection_lost(self, exc: Exception | None) -> None:
        if not self._run.stopping:
            self._run.errors += 1
        self._run.connection_closed()


def _content_length(buffer: bytearray, head_end: int) -> int:
    head = bytes(buffer[:head_end]).lower()
    at = head.find(b"\r\ncontent-length:")
    if at < 0:
        return 0
    end = head.find(b"\r\n", at + 2)
    return int(head[at + len(b"\r\ncontent-length:") : end if end >= 0 else None])


async def run_load(spec: LoadSpec) -> LoadResult:
    loop = asyncio.get_running_loop()
    run = _Run(spec)
    for _ in range(spec.connections):
        await loop.create_connection(lambda: _Connection(run), spec.host, spec.port)
    # SIGTERM ends the measurement early (the result is still printed): loads that last
    # "until something else is done" run with a long duration and are stopped.
    stop = asyncio.Event()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    # Until this line a SIGTERM would kill the process without a result: the parent waits for it.
    sys.stderr.write(READY_LINE)
    sys.stderr.flush()
    await asyncio.sleep(spec.warmup)
    run.recording = True
    started = time.perf_counter()
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=spec.duration)
    run.recording = False
    elapsed = time.perf_counter() - started
    run.stopping = True
    try:
        await asyncio.wait_for(run.all_closed, timeout=30)
    except TimeoutError:
        run.errors += 1
    return summarize(run.latencies, elapsed, unexpected=run.unexpected, errors=run.errors)


def main() -> None:
    spec = LoadSpec(**json.loads(sys.argv[1]))
    result = uvloop.run(run_load(spec))
    out: dict[str, Any] = asdict(result)
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
