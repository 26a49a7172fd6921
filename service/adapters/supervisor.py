"""`provisioner up`: run the API, a worker, beat (and Flower) as child processes; stop in order."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable

from service.adapters.processes import Group, spawn

STOP_TIMEOUT_SECONDS = 30.0
# Stopped in this order: first nothing new is accepted, then nothing new is scheduled, then
# the worker finishes (or safely returns) what it holds. Flower only watches: it goes early.
CHILDREN: tuple[str, ...] = ("serve", "beat", "worker")
WITH_FLOWER: tuple[str, ...] = ("serve", "flower", "beat", "worker")


def supervise(
    env: dict[str, str],
    say: Callable[[str], None],
    roles: tuple[str, ...] = CHILDREN,
    *,
    started: Callable[[], None] = lambda: None,
) -> int:
    """Run `provisioner <role>` for each of `roles`, in this order; call `started`; then wait
    for SIGTERM/SIGINT or a child's death and stop them all in the same order. Exit status."""
    with Group(say, grace=STOP_TIMEOUT_SECONDS) as group:
        for role in roles:
            group.add(
                spawn(
                    role,
                    [sys.executable, "-m", "service.cli", role],
                    env=env,
                    output="inherited",
                    new_session=True,  # Ctrl-C reaches only us; we stop children in order
                )
            )
        started()
        return group.run(order=roles)


def child_environment(database_url: str, redis_url: str) -> dict[str, str]:
    return {**os.environ, "DATABASE_URL": database_url, "REDIS_URL": redis_url}
