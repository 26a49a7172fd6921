"""`provisioner up`: run the API, a worker, beat (and Flower) as child processes; stop in order."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

from service.adapters.embedded import die_with_parent

STOP_TIMEOUT_SECONDS = 30.0
# Stopped in this order: first nothing new is accepted, then nothing new is scheduled, then
# the worker finishes (or safely returns) what it holds. Flower only watches: it goes early.
CHILDREN: tuple[str, ...] = ("serve", "beat", "worker")
WITH_FLOWER: tuple[str, ...] = ("serve", "flower", "beat", "worker")


@dataclass
class Child:
    role: str
    process: subprocess.Popen[bytes]


class Supervisor:
    def __init__(
        self,
        env: dict[str, str],
        say: Callable[[str], None],
        roles: tuple[str, ...] = CHILDREN,
    ) -> None:
        """`roles` are `provisioner` commands, started in this order and stopped in it."""
        self._env = env
        self._say = say
        self._roles = roles
        self._children: list[Child] = []
        self._stopping = False

    def start(self) -> None:
        for role in self._roles:
            process = subprocess.Popen(
                [sys.executable, "-m", "service.cli", role],
                env=self._env,
                preexec_fn=die_with_parent(signal.SIGTERM),  # noqa: PLW1509 - main thread only
                start_new_session=True,  # Ctrl-C reaches only us; we stop children in order
            )
            self._children.append(Child(role, process))

    def request_stop(self, signum: int, _frame: object) -> None:
        self._stopping = True

    def wait(self) -> int:
        """Block until a signal asks us to stop or a child dies; then stop all. Exit status."""
        signal.signal(signal.SIGTERM, self.request_stop)
        signal.signal(signal.SIGINT, self.request_stop)
        failed: Child | None = None
        while not self._stopping and failed is None:
            time.sleep(0.2)
            failed = next((c for c in self._children if c.process.poll() is not None), None)
        if failed is not None:
            self._say(f"{failed.role} exited with status {failed.process.returncode}; stopping")
        self.stop_all()
        return 1 if failed is not None else 0

    def stop_all(self) -> None:
        for child in self._children:
            if child.process.poll() is None:
                self._say(f"stopping {child.role}")
                child.process.send_signal(signal.SIGTERM)
                try:
                    child.process.wait(STOP_TIMEOUT_SECONDS)
                except subprocess.TimeoutExpired:
                    child.process.kill()
                    child.process.wait()


def child_environment(database_url: str, redis_url: str) -> dict[str, str]:
    return {**os.environ, "DATABASE_URL": database_url, "REDIS_URL": redis_url}
