"""Many open viewers of the console's live feed, run in its own process by `provisioner bench`.

Each viewer holds one `GET /api/v2/console/overview` stream (`Accept: text/event-stream`) and
counts the `overview` events it receives for `seconds` once every viewer's stream is open, and
the distinct overviews among them. (Their delay is not measured: an overview carries no time it
was gathered at, and each stream is pushed on its own 2 s timer from a 2 s cache by design.)

Input: a JSON `ViewerSpec` as the only argument. Output: JSON on stdout (events, bytes,
distinct overviews, errors).
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import uvloop

from service.bench.loadgen import READY_LINE

PATH = "/api/v2/console/overview"


@dataclass(frozen=True)
class ViewerSpec:
    base: str
    headers: dict[str, str] = field(default_factory=dict)
    viewers: int = 100
    seconds: float = 20.0


@dataclass
class _Tally:
    recording: bool = False
    events: int = 0
    received_bytes: int = 0
    errors: int = 0
    updates: set[int] = field(default_factory=set)

    def record(self, data: bytes) -> None:
        if not self.recording:
            return
        self.events += 1
        self.received_bytes += len(data)
        json.loads(data)  # a whole overview arrived
        self.updates.add(hash(data))


async def _view(
    session: aiohttp.ClientSession, spec: ViewerSpec, tally: _Tally, opened: asyncio.Queue[bool]
) -> None:
    """One viewer: its stream's events until it is cancelled; a stream that breaks or sends an
    `error` event while measured counts as an error."""
    headers = {**spec.headers, "Accept": "text/event-stream"}
    reported = False
    try:
        async with session.get(spec.base + PATH, headers=headers) as answer:
            opened.put_nowait(answer.status == 200)  # noqa: PLR2004 - HTTP OK
            reported = True
            event = b""
            async for raw in answer.content:
                line = raw.rstrip(b"\r\n")
                if line.startswith(b"event: "):
                    event = line.removeprefix(b"event: ")
                elif line.startswith(b"data: ") and event == b"overview":
                    tally.record(line.removeprefix(b"data: "))
                elif line.startswith(b"data: ") and tally.recording:
                    tally.errors += 1
        if tally.recording:
            tally.errors += 1  # the stream ended while measured
    except aiohttp.ClientError:
        tally.errors += 1
    finally:
        if not reported:
            opened.put_nowait(False)


async def run_viewers(spec: ViewerSpec) -> dict[str, Any]:
    tally = _Tally()
    opened: asyncio.Queue[bool] = asyncio.Queue()
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(
        connector=connector, timeout=aiohttp.ClientTimeout(total=None), read_bufsize=2**20
    ) as session:
        tasks = [
            asyncio.create_task(_view(session, spec, tally, opened)) for _ in range(spec.viewers)
        ]
        if not all([await opened.get() for _ in range(spec.viewers)]):
            raise RuntimeError("a viewer's stream did not open")
        sys.stderr.write(READY_LINE)
        sys.stderr.flush()
        tally.recording = True
        started = time.perf_counter()
        await asyncio.sleep(spec.seconds)
        tally.recording = False
        elapsed = time.perf_counter() - started
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    return {
        "viewers": spec.viewers,
        "seconds": round(elapsed, 3),
        "events": tally.events,
        "bytes": tally.received_bytes,
        "updates": len(tally.updates),
        "errors": tally.errors,
    }


def main() -> None:
    spec = ViewerSpec(**json.loads(sys.argv[1]))
    json.dump(uvloop.run(run_viewers(spec)), sys.stdout)


if __name__ == "__main__":
    main()
