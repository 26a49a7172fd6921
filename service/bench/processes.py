"""Processes the benchmark starts: the service's roles, baselines and the load generator."""

from __future__ import annotations

import json
import sys
from dataclasses import asdict
from pathlib import Path

from service.adapters.processes import Child, ProcessError, http_answers, spawn
from service.bench.loadgen import READY_LINE, LoadSpec
from service.bench.stats import LoadResult

START_TIMEOUT_SECONDS = 60.0
# The load generator is ready once connected: the measurement waits on this, so look often.
LOAD_READY_POLL_SECONDS = 0.005


def peak_rss_mib(pid: int) -> float:
    """A process's own peak resident set (VmHWM), read before it is stopped."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return 0.0


def children_peak_rss_mib(pid: int) -> list[float]:
    """Peak RSS of each direct child (a Celery worker's pool processes)."""
    children = Path(f"/proc/{pid}/task/{pid}/children")
    try:
        pids = [int(child) for child in children.read_text().split()]
    except OSError:
        return []
    return [peak_rss_mib(child) for child in pids]


def start_python(name: str, argv: list[str], env: dict[str, str], log_dir: Path) -> Child:
    """Start `python <argv>` with its output in `log_dir/<name>.log`; it dies with us."""
    return spawn(name, [sys.executable, *argv], env=env, output=log_dir / f"{name}.log")


def wait_http(process: Child, url: str, timeout: float = START_TIMEOUT_SECONDS) -> None:
    """Wait until `url` answers at all (any status), or stop it and fail with its log."""
    process.wait_ready(check=http_answers(url), timeout=timeout)


def start_load(spec: LoadSpec) -> Child:
    """The load generator in the background, once it is connected and can be stopped by
    SIGTERM; `finish_load` collects its result."""
    load = spawn(
        "load generator",
        [sys.executable, "-m", "service.bench.loadgen", json.dumps(asdict(spec))],
        stdout_pipe=True,
    )
    try:
        load.wait_ready(printed=READY_LINE, interval=LOAD_READY_POLL_SECONDS)
    except ProcessError as exc:
        raise RuntimeError(f"load generator failed: {exc}") from exc
    return load


def finish_load(load: Child) -> LoadResult:
    out, _ = load.popen.communicate()
    errors = load.output_tail()
    load.stop()  # already exited: reaps it and lets go of its output
    if load.popen.returncode != 0:
        raise RuntimeError(f"load generator failed: {errors}")
    data = json.loads(out)
    data["unexpected"] = {int(status): count for status, count in data["unexpected"].items()}
    return LoadResult(**data)
