"""Processes the benchmark starts: the service's roles, baselines and the load generator."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
import urllib.request
from dataclasses import asdict, dataclass
from pathlib import Path

from service.adapters.embedded import die_with_parent
from service.bench.loadgen import READY_LINE, LoadSpec
from service.bench.stats import LoadResult

STOP_TIMEOUT_SECONDS = 30.0


@dataclass
class Process:
    name: str
    popen: subprocess.Popen[bytes]
    log_path: Path

    def alive(self) -> bool:
        return self.popen.poll() is None

    def peak_rss_mib(self) -> float:
        """The process's own peak resident set (VmHWM), read before it is stopped."""
        return _peak_rss_mib(self.popen.pid)

    def children_peak_rss_mib(self) -> list[float]:
        """Peak RSS of each direct child (a Celery worker's pool processes)."""
        children = Path(f"/proc/{self.popen.pid}/task/{self.popen.pid}/children")
        try:
            pids = [int(pid) for pid in children.read_text().split()]
        except OSError:
            return []
        return [_peak_rss_mib(pid) for pid in pids]

    def stop(self) -> None:
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(STOP_TIMEOUT_SECONDS)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait()

    def log_tail(self, characters: int = 3000) -> str:
        return self.log_path.read_text(errors="replace")[-characters:]


def _peak_rss_mib(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return 0.0


def spawn(name: str, argv: list[str], env: dict[str, str], log_dir: Path) -> Process:
    """Start `python <argv>` with its output in `log_dir/<name>.log`; it dies with us."""
    log_path = log_dir / f"{name}.log"
    with log_path.open("ab") as log:
        popen = subprocess.Popen(
            [sys.executable, *argv],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            preexec_fn=die_with_parent(signal.SIGTERM),  # noqa: PLW1509 - main thread only
        )
    return Process(name, popen, log_path)


def wait_http(process: Process, url: str, timeout: float = 60.0) -> None:
    """Wait until `url` answers at all (any status) or fail with the process's log."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.alive():
        try:
            with urllib.request.urlopen(url, timeout=2):  # noqa: S310 - our own loopback URL
                return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.1)
    process.stop()
    raise RuntimeError(f"{process.name} did not start; its log:\n{process.log_tail()}")


def start_load(spec: LoadSpec) -> subprocess.Popen[bytes]:
    """The load generator in the background, once it is connected and can be stopped by
    SIGTERM; `finish_load` collects its result."""
    popen = subprocess.Popen(
        [sys.executable, "-m", "service.bench.loadgen", json.dumps(asdict(spec))],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        preexec_fn=die_with_parent(signal.SIGTERM),  # noqa: PLW1509 - main thread only
    )
    assert popen.stderr is not None  # noqa: S101 - stderr=PIPE above
    first_line = popen.stderr.readline()
    if first_line != READY_LINE.encode():
        # From the buffered stream, not communicate(): readline may have buffered more of the
        # output than its first line, which communicate's reads of the raw pipe would miss.
        rest = popen.stderr.read()
        popen.communicate()  # closes the pipes and reaps it
        raise RuntimeError(f"load generator failed: {(first_line + rest).decode()[-3000:]}")
    return popen


def finish_load(popen: subprocess.Popen[bytes]) -> LoadResult:
    out, err = popen.communicate()
    if popen.wait() != 0:
        raise RuntimeError(f"load generator failed: {err.decode()[-3000:]}")
    data = json.loads(out)
    data["unexpected"] = {int(status): count for status, count in data["unexpected"].items()}
    return LoadResult(**data)
