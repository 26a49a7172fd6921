"""The console's live feed: the API's CPU per update pushed to many open viewers."""

from __future__ import annotations

import time
from dataclasses import asdict
from typing import Any

from service.adapters.processes import Child
from service.bench import processes
from service.bench.harness import Bench
from service.bench.viewers import ViewerSpec


def measure_console(bench: Bench, api: Child) -> None:
    """The API's CPU while idle, then while `viewers` streams are open: the CPU above idle
    divided by the events delivered (one overview to one viewer)."""
    seconds = bench.options.viewer_seconds
    bench.say(f"console: the API idle for {seconds:.0f} s, then {bench.options.viewers} viewers")
    before = processes.cpu_seconds(api.pid)
    time.sleep(seconds)
    idle_per_second = (processes.cpu_seconds(api.pid) - before) / seconds
    spec = ViewerSpec(
        base=bench.base, headers=bench.headers, viewers=bench.options.viewers, seconds=seconds
    )
    viewers = processes.start_client("viewers", "service.bench.viewers", asdict(spec))
    before, started = processes.cpu_seconds(api.pid), time.monotonic()
    result: dict[str, Any] = processes.finish_client(viewers)
    spent = processes.cpu_seconds(api.pid) - before
    busy = max(0.0, spent - idle_per_second * (time.monotonic() - started))
    if result["errors"] or not result["events"]:
        raise RuntimeError(f"the viewers saw {result['errors']} errors: {result}")
    bench.figures.service["console_feed"] = {
        **result,
        "idle_cpu_ms_per_second": round(idle_per_second * 1000, 2),
        "cpu_ms": round(spent * 1000, 1),
        "cpu_us_per_event": round(busy / result["events"] * 1e6, 1),
        "cpu_ms_per_second": round(busy / result["seconds"] * 1000, 2),
    }
