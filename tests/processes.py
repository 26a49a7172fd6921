"""Real `provisioner worker` / `beat` / `serve` processes for the tests, on the process module."""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from subprocess import Popen

from service.adapters.processes import Child, http_answers, poll_until, spawn

START_TIMEOUT_SECONDS = 30.0
STOP_TIMEOUT_SECONDS = 20.0


@dataclass
class ServiceProcess:
    child: Child
    env: dict[str, str]

    @property
    def role(self) -> str:
        return self.child.name

    @property
    def process(self) -> Popen[bytes]:
        """For tests that signal or wait for the process themselves."""
        return self.child.popen

    def log(self) -> str:
        return self.child.output()

    def stop(self) -> None:
        self.child.stop(STOP_TIMEOUT_SECONDS)


def spawn_service(role: str, args: list[str], env: dict[str, str], log_dir: Path) -> Child:
    """`provisioner <role> <args>` with its output in `log_dir/<role>.log`; it dies with us."""
    argv = [sys.executable, "-m", "service.cli", role, *args]
    return spawn(role, argv, env=env, output=log_dir / f"{role}.log")


def start_service(
    role: str, env: dict[str, str], log_dir: Path, ready_marker: str
) -> ServiceProcess:
    """Start `provisioner <role>` and wait until its log shows `ready_marker`."""
    child = spawn_service(role, [], env, log_dir)
    child.wait_ready(printed=ready_marker, timeout=START_TIMEOUT_SECONDS)
    return ServiceProcess(child, env)


def wait_until_ready(
    base_url: str,
    *,
    timeout: float = START_TIMEOUT_SECONDS,
    alive: Callable[[], bool] = lambda: True,
) -> bool:
    """Poll `/readyz` until it answers 200 (True), `alive()` turns false or time runs out."""
    ready = http_answers(f"{base_url}/readyz", status=200)
    return poll_until(ready, timeout=timeout, interval=0.1, give_up=lambda: not alive())
