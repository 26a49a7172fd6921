"""Run one operation: claim it, skip it if terminal, call the driver, record the result."""

from __future__ import annotations

import dataclasses
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

import structlog
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from service.domain.lifecycle import (
    TERMINAL_OPERATION_STATES,
    OperationKind,
    OperationState,
)
from service.domain.passwords import PasswordSeal, SealingError, scram_verifier
from service.store.models import Account, Operation
from service.store.notifications import ANNOUNCE_DONE, announced
from service.store.steps import (
    claim_operation,
    commit_without_waiting_for_disk,
    lock_for_step,
    note_progress,
    taken_by_another,
)
from service.usecases.operations import DriverOutcome, complete_operation, fail_operation
from workers.drivers.base import (
    AccountSpec,
    ClusterUnreachable,
    DriverError,
    ProvisioningDriver,
    TransientDriverError,
)
from workers.moves import (
    cut_over_done,
    end_move,
    leftover_warning,
    move_step,
    roll_back_given_up,
)

log = structlog.get_logger(__name__)


class Outcome(StrEnum):
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    SKIPPED = "skipped"
    RETRY = "retry"


@dataclasses.dataclass(frozen=True)
class Claimed:
    kind: OperationKind
    account: str
    attempt: int


@dataclasses.dataclass(frozen=True)
class Finished:
    outcome: Outcome
    reason: str = ""


def _now() -> datetime:
    return datetime.now(UTC)


def _step_for(
    driver: ProvisioningDriver, kind: OperationKind
) -> Callable[[AccountSpec], DriverOutcome]:
    steps: dict[OperationKind, Callable[[AccountSpec], DriverOutcome]] = {
        OperationKind.CREATE: driver.create,
        OperationKind.DROP: driver.drop,
        OperationKind.UNDROP: driver.undrop,
        OperationKind.PURGE: driver.purge,
        OperationKind.ROTATE: driver.rotate,
        OperationKind.UPDATE: driver.update,
    }
    return steps[kind]


def _claim(sessions: sessionmaker[Session], operation_id: uuid.UUID) -> Claimed | None:
    """Mark the operation running (one more attempt); None when there is nothing to do."""
    with sessions.begin() as session:
        claim = claim_operation(session, operation_id)
    if claim is None:
        # A locked row is being executed by another delivery of the same message right now.
        log.info("operation.skipped", reason="missing or being executed elsewhere")
        return None
    if claim.kind is None:
        log.info("operation.skipped", reason=f"already {claim.state.value}")
        return None
    return Claimed(claim.kind, claim.account, claim.attempt)


def execute_operation(
    sessions: sessionmaker[Session],
    driver: ProvisioningDriver,
    operation_id: uuid.UUID,
    *,
    max_attempts: int,
    seal: PasswordSeal | None = None,
) -> Outcome:
    """Perform the operation once in effect; RETRY means a transient failure to retry later.

    Every line logged meanwhile carries the operation's id (and, once claimed, its kind and
    account); each state change is logged once, after its transaction commits.
    """
    with structlog.contextvars.bound_contextvars(operation_id=str(operation_id)):
        claimed = _claim(sessions, operation_id)
        if claimed is None:
            return Outcome.SKIPPED
        with structlog.contextvars.bound_contextvars(
            kind=claimed.kind.value, account=claimed.account
        ):
            log.info(
                "operation.running", state=OperationState.RUNNING.value, attempt=claimed.attempt
            )
            started = time.monotonic()
            finished = _execute_claimed(sessions, driver, operation_id, max_attempts, seal)
            log_finished(finished, claimed.attempt, time.monotonic() - started)
            return finished.outcome


def _execute_claimed(
    sessions: sessionmaker[Session],
    driver: ProvisioningDriver,
    operation_id: uuid.UUID,
    max_attempts: int,
    seal: PasswordSeal | None,
) -> Finished:
    with sessions.begin() as session:
        # The operation's row is held for the whole step: a duplicate delivery running
        # concurrently skips instead. The account's is taken only to record the outcome.
        row = lock_for_step(session, operation_id)
        if row is None or row[0].state in TERMINAL_OPERATION_STATES:
            return Finished(Outcome.SKIPPED, "finished or taken by another delivery meanwhile")
        operation, account, organization_name = row
        _derive_verifier(operation, seal)
        spec = _spec(operation, account, organization_name, _progress(sessions, operation_id))
        step = (
            move_step(sessions, driver, operation)
            if operation.kind == OperationKind.MOVE
            else _step_for(driver, operation.kind)
        )
        return _perform(
            session, driver, operation, account, spec, step=step, max_attempts=max_attempts
        )


def _derive_verifier(operation: Operation, seal: PasswordSeal | None) -> None:
    """The SCRAM verifier of the sealed new password, computed here rather than at accept:
    PBKDF2 costs ~3 ms of CPU that the API's accept path would otherwise pay per request."""
    if operation.password_verifier or not operation.sealed_password or seal is None:
        return
    try:
        operation.password_verifier = scram_verifier(seal.open(operation.sealed_password))
    except SealingError:
        # The driver then fails the step for want of a verifier (no retry can fix a key).
        log.error("operation.password_unsealable", reason="SECRET_KEY differs from the API's")


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


def _spec(
    operation: Operation, account: Account, organization_name: str, progress: Callable[[str], None]
) -> AccountSpec:
    return AccountSpec(
        organization_name=organization_name,
        name=account.name,
        locator=account.account_locator,
        edition=account.edition,
        region=account.region or "",
        tenant_database=account.tenant_database or "",
        tenant_role=account.tenant_role or "",
        request=dict(operation.request),
        password_verifier=operation.password_verifier,
        enabled=account.enabled,
        cluster=account.cluster,
        progress=progress,
    )


def _progress(sessions: sessionmaker[Session], operation_id: uuid.UUID) -> Callable[[str], None]:
    """Record the current step from a connection of its own: the step's transaction holds the
    operation's row, and its writes would stay invisible until the step ends."""

    def report(step: str) -> None:
        try:
            with sessions.begin() as progress_session:
                commit_without_waiting_for_disk(progress_session)
                note_progress(progress_session, operation_id, step)
        except SQLAlchemyError:
            log.warning("operation.step_not_recorded", step=step)

    return report


def _perform(
    session: Session,
    driver: ProvisioningDriver,
    operation: Operation,
    account: Account,
    spec: AccountSpec,
    *,
    step: Callable[[AccountSpec], DriverOutcome],
    max_attempts: int,
) -> Finished:
    if operation.attempts > max_attempts:  # every earlier attempt lost its worker mid-step
        return fail_step(session, driver, spec, operation, f"gave up after {max_attempts} attempts")
    if operation.kind == OperationKind.UPDATE:
        collision = _patch_collision(session, account, operation.request["patch"])
        if collision is not None:
            return fail_step(session, driver, spec, operation, collision, conflict=True)
    try:
        outcome = step(spec)
    except TransientDriverError as exc:
        unreachable = isinstance(exc, ClusterUnreachable)
        if unreachable:  # the step never started: retried until the cluster is back
            operation.attempts -= 1
        if unreachable or operation.attempts < max_attempts:
            return Finished(Outcome.RETRY, str(exc))
        reason = f"{exc} (after {operation.attempts} attempts)"
        return fail_step(session, driver, spec, operation, reason)
    except DriverError as exc:
        return fail_step(session, driver, spec, operation, str(exc))
    session.refresh(account, with_for_update=True)
    complete_operation(operation, account, outcome, _now())
    if operation.kind == OperationKind.MOVE:
        end_move(session, operation)
    _announce(session, operation)
    return Finished(Outcome.SUCCEEDED)


def _patch_collision(session: Session, account: Account, patch: dict[str, Any]) -> str | None:
    """Whether another live account took the patch's name or external_id since it was
    accepted (the accept checked; the unique indexes would otherwise fail the commit)."""
    for column, value in (("name", patch.get("name")), ("external_id", patch.get("external_id"))):
        if value is None or value == getattr(account, column):
            continue
        if taken_by_another(session, account, column, value):
            return f"{column} {value!r} was taken by another account meanwhile"
    return None


def fail_step(
    session: Session,
    driver: ProvisioningDriver,
    spec: AccountSpec,
    operation: Operation,
    reason: str,
    *,
    conflict: bool = False,
) -> Finished:
    """Fail the operation (whose row the caller's transaction holds) and undo the step."""
    account = session.get(
        Account, operation.account_id, with_for_update=True, populate_existing=True
    )
    if account is None:  # pragma: no cover - FK-protected
        raise RuntimeError(f"operation {operation.id} lost its account")
    if operation.kind == OperationKind.MOVE and cut_over_done(session, operation):
        # The account lives on the target: the move finishes forward, the source left over.
        outcome = DriverOutcome(warnings=[leftover_warning(operation, reason)])
        complete_operation(operation, account, outcome, _now())
        end_move(session, operation)
        _announce(session, operation)
        return Finished(Outcome.SUCCEEDED)
    _compensate(driver, spec, operation.kind)
    if operation.kind == OperationKind.MOVE:  # rolled back: the account stayed
        roll_back_given_up(session, driver, operation, spec)
        end_move(session, operation)
    fail_operation(
        operation, account, reason, _now(), operation.request_id or "", conflict=conflict
    )
    _announce(session, operation)
    return Finished(Outcome.FAILED, reason)


def _compensate(driver: ProvisioningDriver, spec: AccountSpec, kind: OperationKind) -> None:
    """Undo a failed step's partial effect so the account matches the state it returns to.

    A failed create removes what it made (purge); a failed drop lets the login back in (the
    account is ACTIVE again). Both undo steps are idempotent.
    """
    undo = {OperationKind.CREATE: driver.purge, OperationKind.DROP: driver.undrop}.get(kind)
    if undo is None:
        return
    try:
        undo(spec)
    except DriverError:
        log.exception("operation.undo_failed")


def _announce(session: Session, operation: Operation) -> None:
    """Tell waiters (NOTIFY is delivered at commit) and drop the progress row."""
    session.execute(ANNOUNCE_DONE, announced(operation.id))
