"""How a step ends: its outcomes, their log lines, and a driver step run to one."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from enum import StrEnum
from typing import Any

import structlog

from service.domain.account_spec import AccountSpec
from service.domain.lifecycle import OperationState
from service.domain.passwords import PasswordSeal, SealingError, scram_verifier
from service.usecases.operations import DriverOutcome
from workers.drivers.base import ClusterUnreachable, DriverError, TransientDriverError

# The lines keep the logger they were always written by (alerts and tests read them).
log = structlog.get_logger("workers.execute")


class Outcome(StrEnum):
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    SKIPPED = "skipped"
    RETRY = "retry"


@dataclasses.dataclass(frozen=True)
class Finished:
    outcome: Outcome
    reason: str = ""


@dataclasses.dataclass(frozen=True)
class StepFailure:
    """A driver step that failed: retried later (`retry`) or failing the operation.
    `counted` is false for a step that never started (its cluster was unreachable)."""

    retry: bool
    reason: str
    counted: bool = True


def run_step(
    step: Callable[[AccountSpec], DriverOutcome],
    spec: AccountSpec,
    attempts: int,
    max_attempts: int,
) -> DriverOutcome | StepFailure:
    try:
        return step(spec)
    except TransientDriverError as exc:
        # An unreachable cluster: the step never started, retried until the cluster is back.
        unreachable = isinstance(exc, ClusterUnreachable)
        if unreachable or attempts < max_attempts:
            return StepFailure(retry=True, reason=str(exc), counted=not unreachable)
        return StepFailure(retry=False, reason=f"{exc} (after {attempts} attempts)")
    except DriverError as exc:
        return StepFailure(retry=False, reason=str(exc))


def step_verifier(
    verifier: str | None, sealed: str | None, seal: PasswordSeal | None
) -> str | None:
    """The SCRAM verifier of the sealed new password, computed here rather than at accept:
    PBKDF2 costs ~3 ms of CPU that the API's accept path would otherwise pay per request."""
    if verifier or not sealed or seal is None:
        return verifier
    try:
        return scram_verifier(seal.open(sealed))
    except SealingError:
        # The driver then fails the step for want of a verifier (no retry can fix a key).
        log.error("operation.password_unsealable", reason="SECRET_KEY differs from the API's")
        return None


# Outcome -> (level, event, the row's state after it). A retry leaves the row `running` while
# the task waits out its backoff; the next delivery claims it again (attempt + 1).
_FINISHED_EVENTS: dict[Outcome, tuple[str, str, OperationState]] = {
    Outcome.SUCCEEDED: ("info", "operation.succeeded", OperationState.SUCCEEDED),
    Outcome.FAILED: ("warning", "operation.failed", OperationState.FAILED),
    Outcome.RETRY: ("warning", "operation.retry", OperationState.RUNNING),
}


def log_finished(finished: Finished, attempt: int, seconds: float) -> None:
    if finished.outcome not in _FINISHED_EVENTS:
        log.info("operation.skipped", reason=finished.reason)
        return
    level, event, state = _FINISHED_EVENTS[finished.outcome]
    fields: dict[str, Any] = {"state": state.value, "duration_ms": round(seconds * 1000, 1)}
    if finished.outcome is not Outcome.SUCCEEDED:
        fields["reason"] = finished.reason
    if finished.outcome is Outcome.RETRY:
        fields["attempt"] = attempt
    getattr(log, level)(event, **fields)
