"""Processes the benchmark starts: the service's roles, baselines and the load generator."""

from __future__ import annotations

import json
import os
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Any

from service.adapters.processes import Child, ProcessError, http_answers, spawn
from service.bench.loadgen import READY_LINE, LoadSpec
from service.bench.stats import LoadResult

START_TIMEOUT_SECONDS = 60.0
# The load generator is ready once connected: the measurement waits on this, so look often.
LOAD_READY_POLL_SECONDS = 0.005


def cpu_seconds(pid: int) -> float:
    """The CPU time (user + system) a process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    utime, stime = int(fields[11]), int(fields[12])  # fields 14 and 15 of proc(5)
    return (utime + stime) / os.sysconf("SC_CLK_TCK")


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
    return start_client("load generator", "service.bench.loadgen", asdict(spec))


def start_client(name: str, module: str, spec: dict[str, Any]) -> Child:
    """A client process (`python -m module SPEC-JSON`) once it prints that it is ready; it
    prints its result as JSON on stdout (`finish_client`)."""
    client = spawn(
        name,
        [sys.executable, "-m", module, json.dumps(spec)],
        stdout_pipe=True,
    )
    try:
        client.wait_ready(printed=READY_LINE, interval=LOAD_READY_POLL_SECONDS)
    except ProcessError as exc:
        raise RuntimeError(f"{name} failed: {exc}") from exc
    return client


def finish_client(client: Child) -> Any:
    """The client's JSON result, once it has exited."""
    out, _ = client.popen.communicate()
    errors = client.output_tail()
    client.stop()  # already exited: reaps it and lets go of its output
    if client.popen.returncode != 0:
        raise RuntimeError(f"{client.name} failed: {errors}")
    return json.loads(out)


def finish_load(load: Child) -> LoadResult:
    data = finish_client(load)
    data["unexpected"] = {int(status): count for status, count in data["unexpected"].items()}
    return LoadResult(**data)
