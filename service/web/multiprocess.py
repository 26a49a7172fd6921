"""`provisioner serve --workers N`: N API processes on one port; the kernel spreads connections."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable

from service.adapters.processes import Group, spawn

# In a child's environment: bind with SO_REUSEPORT beside its siblings, skip the port check.
REUSE_PORT_ENV = "PROVISIONER_REUSE_PORT"
POLL_SECONDS = 0.2
# Above serve's shutdown_timeout (10 s, in-flight requests finishing) plus closing its pools.
STOP_TIMEOUT_SECONDS = 30.0


def serve_processes(count: int, secret_key: str, say: Callable[[str], None]) -> int:
    """Run `count` single-process `serve` children until a signal (passed on to all) or a
    death (which stops all, at once); the exit status."""
    env = {
        **os.environ,
        REUSE_PORT_ENV: "1",
        # Resolved once here: children creating DATA_DIR/secret.key at once could differ.
        "SECRET_KEY": secret_key,
    }
    say(f"starting {count} API processes on one port")
    with Group(
        say, grace=STOP_TIMEOUT_SECONDS, forward_signal=True, interval=POLL_SECONDS
    ) as group:
        for _ in range(count):
            child = spawn(
                "API process",
                [sys.executable, "-m", "service.cli", "serve", "--workers", "1"],
                env=env,
                output="inherited",
                new_session=True,  # Ctrl-C reaches only us; each child hears it once
            )
            child.name = f"API process {child.pid}"
            group.add(child)
        # All at once: each may take its shutdown timeout, one after another would add them up.
        return group.run()
