"""Real `provisioner worker` / `provisioner beat` processes for the test session."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from service.adapters.embedded import die_with_parent

START_TIMEOUT_SECONDS = 30.0
STOP_TIMEOUT_SECONDS = 20.0


@dataclass
class ServiceProcess:
    role: str
    process: subprocess.Popen[bytes]
    log_path: Path
    env: dict[str, str]

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(STOP_TIMEOUT_SECONDS)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start_service(
    role: str, env: dict[str, str], log_dir: Path, ready_marker: str
) -> ServiceProcess:
    """Start `provisioner <role>` and wait until its log shows `ready_marker`."""
    log_path = log_dir / f"{role}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "service.cli", role],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            # If the test run itself is killed, its services must not linger.
            preexec_fn=die_with_parent(signal.SIGTERM),  # noqa: PLW1509 - main thread only
        )
    service = ServiceProcess(role, process, log_path, env)
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while ready_marker not in service.log():
        if process.poll() is not None or time.monotonic() > deadline:
            service.stop()
            raise RuntimeError(f"{role} did not start; its log:\n{service.log()[-3000:]}")
        time.sleep(0.05)
    return service


def wait_until_ready(
    base_url: str,
    *,
    timeout: float = START_TIMEOUT_SECONDS,
    alive: Callable[[], bool] = lambda: True,
) -> bool:
    """Poll `/readyz` until it answers 200 (True), `alive()` turns false or time runs out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and alive():
        try:
            with urllib.request.urlopen(f"{base_url}/readyz", timeout=2) as response:  # noqa: S310
                if response.status == 200:
                    return True
        except OSError:
            pass
        time.sleep(0.1)
    return False
