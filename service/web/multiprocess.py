"""`provisioner serve --workers N`: N API processes on one port; the kernel spreads connections."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable

from service.adapters.embedded import die_with_parent

# In a child's environment: bind with SO_REUSEPORT beside its siblings, skip the port check.
REUSE_PORT_ENV = "PROVISIONER_REUSE_PORT"
POLL_SECONDS = 0.2
# Above serve's shutdown_timeout (10 s, in-flight requests finishing) plus closing its pools.
STOP_TIMEOUT_SECONDS = 30.0


class ApiProcesses:
    """`count` single-process `serve` children: a signal goes to all, one's death stops all."""

    def __init__(self, count: int, env: dict[str, str], say: Callable[[str], None]) -> None:
        self._count = count
        self._env = env
        self._say = say
        self._children: list[subprocess.Popen[bytes]] = []
        self._signal: int | None = None

    def _request_stop(self, signum: int, _frame: object) -> None:
        self._signal = signum

    def run(self) -> int:
        """Start the children, wait for a signal or a death, stop them all; the exit status."""
        signal.signal(signal.SIGTERM, self._request_stop)
        signal.signal(signal.SIGINT, self._request_stop)
        for _ in range(self._count):
            self._children.append(
                subprocess.Popen(
                    [sys.executable, "-m", "service.cli", "serve", "--workers", "1"],
                    env=self._env,
                    preexec_fn=die_with_parent(signal.SIGTERM),  # noqa: PLW1509 - main thread only
                    start_new_session=True,  # Ctrl-C reaches only us; each child hears it once
                )
            )
        failed: subprocess.Popen[bytes] | None = None
        while self._signal is None and failed is None:
            time.sleep(POLL_SECONDS)
            failed = next((child for child in self._children if child.poll() is not None), None)
        if failed is not None:
            self._say(f"API process {failed.pid} exited with status {failed.returncode}; stopping")
        self._stop(signal.SIGTERM if self._signal is None else self._signal)
        return 0 if failed is None else 1

    def _stop(self, signum: int) -> None:
        # All at once: each may take its shutdown timeout, one after another would add them up.
        running = [child for child in self._children if child.poll() is None]
        for child in running:
            child.send_signal(signum)
        deadline = time.monotonic() + STOP_TIMEOUT_SECONDS
        for child in running:
            try:
                child.wait(max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                self._say(f"API process {child.pid} did not stop in time; killing it")
                child.kill()
                child.wait()


def serve_processes(count: int, secret_key: str, say: Callable[[str], None]) -> int:
    """Run `count` API processes until a signal or a death; the exit status."""
    env = {
        **os.environ,
        REUSE_PORT_ENV: "1",
        # Resolved once here: children creating DATA_DIR/secret.key at once could differ.
        "SECRET_KEY": secret_key,
    }
    say(f"starting {count} API processes on one port")
    return ApiProcesses(count, env, say).run()
