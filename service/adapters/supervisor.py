"""`provisioner up`: run the API, a worker, beat (and Flower) as child processes; stop in order."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Mapping

from service.adapters.processes import Group, spawn

STOP_TIMEOUT_SECONDS = 30.0
# Stopped in this order: first nothing new is accepted, then nothing new is scheduled, then
# the worker finishes (or safely returns) what it holds. Flower only watches: it goes early.
CHILDREN: tuple[str, ...] = ("serve", "beat", "worker")
WITH_FLOWER: tuple[str, ...] = ("serve", "flower", "beat", "worker")
# Only workers run tenant DDL: no other child gets the tenant cluster's superuser URL.
TENANT_ROLES = frozenset({"worker"})
TENANT_VARIABLE = "TENANT_DATABASE_URL"


def supervise(
    envs: Mapping[str, dict[str, str]],
    say: Callable[[str], None],
    roles: tuple[str, ...] = CHILDREN,
    *,
    started: Callable[[], None] = lambda: None,
) -> int:
    """Run `provisioner <role>` for each of `roles` (with `envs[role]`), in this order; call
    `started`; then wait for SIGTERM/SIGINT or a child's death and stop them all in the same
    order. Exit status."""
    with Group(say, grace=STOP_TIMEOUT_SECONDS) as group:
        for role in roles:
            group.add(
                spawn(
                    role,
                    [sys.executable, "-m", "service.cli", role],
                    env=envs[role],
                    output="inherited",
                    new_session=True,  # Ctrl-C reaches only us; we stop children in order
                )
            )
        started()
        return group.run(order=roles)


def child_environments(
    roles: tuple[str, ...],
    common: Mapping[str, str],
    tenant_url: str | None,
) -> dict[str, dict[str, str]]:
    """Each child's environment: ours plus `common`; TENANT_DATABASE_URL for workers only."""
    base = {name: value for name, value in os.environ.items() if name != TENANT_VARIABLE}
    base.update(common)
    envs = {role: dict(base) for role in roles}
    for role in TENANT_ROLES.intersection(roles):
        if tenant_url:
            envs[role][TENANT_VARIABLE] = tenant_url
    return envs
