"""The provisioning driver protocol: one idempotent step per operation kind."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from service.domain.account_spec import AccountSpec
from service.usecases.operations import DriverOutcome


class DriverError(Exception):
    """A permanent failure: the operation fails with this message."""


class TransientDriverError(DriverError):
    """A failure worth retrying with backoff (connection refused, lock timeout, ...)."""


class ClusterUnreachable(TransientDriverError):
    """The tenant cluster could not be reached at all, so the step did not start there: it is
    retried with backoff for as long as the outage lasts, without counting an attempt."""


@dataclass(frozen=True)
class DatabaseUsage:
    """One account database as measured on its tenant cluster."""

    database: str
    storage_bytes: int
    connections: int


class ProvisioningDriver(Protocol):
    """Every method must be idempotent: run twice, or resumed half-way, it converges."""

    def create(self, account: AccountSpec) -> DriverOutcome: ...

    def drop(self, account: AccountSpec) -> DriverOutcome: ...

    def undrop(self, account: AccountSpec) -> DriverOutcome: ...

    def purge(self, account: AccountSpec) -> DriverOutcome: ...

    def rotate(self, account: AccountSpec) -> DriverOutcome: ...

    def update(self, account: AccountSpec) -> DriverOutcome:
        """Apply `account.request["patch"]` (edition limits, suspended logins, a new name)."""
        ...

    def measure_usage(self) -> list[DatabaseUsage]:
        """Every account database on the cluster with its size and open sessions (one query)."""
        ...


# The steps of ProvisioningDriver, one per operation kind a driver runs.
STEPS = ("create", "drop", "undrop", "purge", "rotate", "update")
Step = Callable[[AccountSpec], DriverOutcome]


class SteppingDriver:
    """A driver around others: each of its STEPS runs as `_step(kind, account)`."""

    if TYPE_CHECKING:  # set below, from STEPS
        create: Step
        drop: Step
        undrop: Step
        purge: Step
        rotate: Step
        update: Step

    def _step(self, kind: str, account: AccountSpec) -> DriverOutcome:
        raise NotImplementedError


def _dispatching(kind: str) -> Callable[[SteppingDriver, AccountSpec], DriverOutcome]:
    def step(self: SteppingDriver, account: AccountSpec) -> DriverOutcome:
        return self._step(kind, account)

    step.__name__ = kind
    return step


for _kind in STEPS:
    setattr(SteppingDriver, _kind, _dispatching(_kind))
