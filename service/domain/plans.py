"""Plans: what each edition may use on its tenant cluster, and how near a usage is to it."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from service.domain.schemas import Edition

# At or above this share of a limit an account is "near" it (metrics, the queues view).
NEAR_LIMIT_SHARE = 0.9


class LimitKind(StrEnum):
    CONNECTIONS = "connections"
    STORAGE = "storage"


@dataclass(frozen=True)
class PlanLimits:
    """An edition's limits: concurrent connections and bytes stored in its database."""

    connections: int
    storage_bytes: int

    def exceeded(self, storage_bytes: int, connections: int) -> list[LimitKind]:
        """The limits a measured usage is over (connections at the limit are allowed)."""
        over = []
        if storage_bytes > self.storage_bytes:
            over.append(LimitKind.STORAGE)
        if connections > self.connections:
            over.append(LimitKind.CONNECTIONS)
        return over

    def near(self, storage_bytes: int, connections: int) -> list[LimitKind]:
        """The limits a measured usage has reached at least NEAR_LIMIT_SHARE of."""
        near = []
        if storage_bytes >= NEAR_LIMIT_SHARE * self.storage_bytes:
            near.append(LimitKind.STORAGE)
        if connections >= NEAR_LIMIT_SHARE * self.connections:
            near.append(LimitKind.CONNECTIONS)
        return near


def plan_table(
    connection_limits: dict[str, int], storage_limits: dict[str, int]
) -> dict[Edition, PlanLimits]:
    """Every edition's limits from the two configured tables (both must name every edition)."""
    missing = {edition.value for edition in Edition} - (
        set(connection_limits) & set(storage_limits)
    )
    if missing:
        raise ValueError(f"the plan table lacks {', '.join(sorted(missing))}")
    return {
        edition: PlanLimits(connection_limits[edition.value], storage_limits[edition.value])
        for edition in Edition
    }
