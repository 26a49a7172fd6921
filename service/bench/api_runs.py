"""The API's figures: accept and poll, accept against `serve --workers N`, and a profiled run."""

from __future__ import annotations

from dataclasses import asdict

from sqlalchemy import text

from service.adapters.processes import Child
from service.bench.harness import Bench, measured
from service.bench.loadgen import LoadSpec
from service.bench.processes import wait_http
from service.bench.profile import busiest_functions, busy_time_by_component


def measure_accept_and_poll(bench: Bench) -> None:
    bench.say(f"accept: POST /api/v2/accounts, {bench.options.connections} connections")
    accept = measured(bench.creates("{n}"))
    bench.figures.service["accept"] = asdict(accept)
    bench.say("poll: GET /api/v2/results/{handle}")
    poll = measured(
        bench.load(
            paths=[f"/api/v2/results/{handle}" for handle in _handles(bench)],
            headers=bench.headers,
            expect=[200, 202],
        )
    )
    bench.figures.service["poll"] = asdict(poll)
    bench.figures.service["accepted_backlog"] = accept.requests


def _handles(bench: Bench) -> list[str]:
    """A thousand operations to poll."""
    with bench.engine.connect() as connection:
        rows = connection.scalars(text("SELECT id FROM operations LIMIT 1000")).all()
    return [str(handle) for handle in rows]


def measure_accept_scaled_out(bench: Bench, api: Child, processes: int = 2) -> Child:
    """The accept load once more against `serve --workers N` (N processes on one port)."""
    bench.say(f"accept: POST /api/v2/accounts, {processes} API processes")
    bench.stop(api)
    scaled = bench.start(
        f"api-{processes}", ["-m", "service.cli", "serve", f"--workers={processes}"]
    )
    wait_http(scaled, bench.base + "/healthz")
    accept = measured(bench.creates("S{n}"))
    bench.figures.service["accept_scaled_out"] = {**asdict(accept), "processes": processes}
    bench.figures.service["accepted_backlog"] += accept.requests
    bench.stop(scaled)
    return bench.start_api()


def profile_accept(bench: Bench, api: Child) -> Child:
    """The accept load, then the poll load, each once more against an API under cProfile;
    their busiest functions go in the figures. cProfile slows the API down: these runs' speeds
    are not reported."""
    bench.stop(api)
    bench.say("profiling the accept path (cProfile; not a measured run)")
    _profiled(bench, "accept", bench.creates("P{n}", duration=min(bench.options.duration, 5.0)))
    bench.say("profiling the poll path (cProfile; not a measured run)")
    _profiled(
        bench,
        "poll",
        bench.load(
            paths=[f"/api/v2/results/{handle}" for handle in _handles(bench)],
            headers=bench.headers,
            expect=[200, 202],
            duration=min(bench.options.duration, 5.0),
        ),
    )
    return bench.start_api()


def _profiled(bench: Bench, path: str, load: LoadSpec) -> None:
    stats_path = bench.work_dir / f"api-{path}.pstats"
    profiled = bench.start(
        f"api-profiled-{path}",
        ["-m", "cProfile", "-o", str(stats_path), "-m", "service.cli", "serve"],
    )
    wait_http(profiled, bench.base + "/healthz")
    measured(load)
    bench.stop(profiled)  # SIGTERM: serve exits cleanly and cProfile writes its file
    bench.figures.service[f"{path}_profile"] = busiest_functions(stats_path)
    bench.figures.service[f"{path}_profile_by_component"] = busy_time_by_component(stats_path)
