"""Run one operation: claim it, skip it if terminal, call the driver, record the result."""

from __future__ import annotations

import dataclasses
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import structlog
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from service.domain.account_spec import AccountSpec
from service.domain.lifecycle import (
    TERMINAL_OPERATION_STATES,
    OperationKind,
    OperationState,
)
from service.domain.passwords import PasswordSeal
from service.store.models import Account, Operation
from service.store.notifications import ANNOUNCE_DONE, announced
from service.store.outcomes import ONE_STATEMENT_KINDS, record_success
from service.store.steps import (
    claim_operation,
    commit_without_waiting_for_disk,
    lock_for_step,
    note_progress,
    note_retry,
    read_step,
    taken_by_another,
)
from service.usecases.operations import (
    DriverOutcome,
    complete_operation,
    fail_operation,
    stamped_values,
    success_answer,
)
from workers.drivers.base import DriverError, ProvisioningDriver
from workers.moves import (
    cut_over_done,
    end_move,
    leftover_warning,
    move_step,
    roll_back_given_up,
)
from workers.outcomes import (
    Finished,
    Outcome,
    StepFailure,
    log_finished,
    run_step,
    step_verifier,
)

log = structlog.get_logger(__name__)
# Imported from here by the purge batches.
__all__ = ["Finished", "Outcome", "execute_operation", "fail_step", "log_finished"]


@dataclasses.dataclass(frozen=True)
class Claimed:
    kind: OperationKind
    account: str
    attempt: int


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
    with sessions() as session:
        # One statement committed on its own (autocommit): no BEGIN and COMMIT round trips.
        session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
        claim = claim_operation(session, operation_id)
    if claim is None:
        # A locked row is being executed by another delivery of the same message right now.
        log.info("operation.skipped", reason="missing or being executed elsewhere")
        return None
    if claim.kind is None:
        log.info("operation.skipped", reason=f"already {claim.state.value}")
        return None
    return Claimed(claim.kind, claim.account, claim.attempt)


@dataclasses.dataclass(frozen=True)
class StepRun:
    """What every part of one operation's execution needs, the same from claim to outcome."""

    sessions: sessionmaker[Session]
    driver: ProvisioningDriver
    operation_id: uuid.UUID
    max_attempts: int
    seal: PasswordSeal | None


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
            finished = _execute_claimed(StepRun(sessions, driver, operation_id, max_attempts, seal))
            log_finished(finished, claimed.attempt, time.monotonic() - started)
            return finished.outcome


def _execute_claimed(run: StepRun) -> Finished:
    with run.sessions.begin() as session:
        # The operation's row is held for the whole step: a duplicate delivery running
        # concurrently skips instead.
        row = read_step(session, run.operation_id)
        if row is None or row.state in TERMINAL_OPERATION_STATES:
            return Finished(Outcome.SKIPPED, "finished or taken by another delivery meanwhile")
        verifier = step_verifier(row.account.password_verifier, row.sealed_password, run.seal)
        # What the driver is told: the account as read, with the verifier of the sealed
        # password when the row had none yet, and a copy of the request.
        spec = dataclasses.replace(
            row.account,
            request=dict(row.account.request),
            password_verifier=verifier,
            progress=_progress(run.sessions, run.operation_id),
        )
        if row.kind not in ONE_STATEMENT_KINDS or row.attempts > run.max_attempts:
            return _execute_loaded(session, run, spec)
        result = run_step(_step_for(run.driver, row.kind), spec, row.attempts, run.max_attempts)
        if isinstance(result, StepFailure):
            if result.retry:
                note_retry(session, run.operation_id, verifier=verifier, counted=result.counted)
                return Finished(Outcome.RETRY, result.reason)
            operation = session.get(Operation, run.operation_id)  # its row is ours already
            if operation is None:  # pragma: no cover - locked above
                raise RuntimeError(f"operation {run.operation_id} vanished")
            return fail_step(session, run.driver, spec, operation, result.reason)
        # The outcome, the account's new state and the NOTIFY in one statement.
        now = _now()
        stamps = stamped_values(row.kind, row.account.request, result, now)
        record_success(
            session, row.kind, run.operation_id, body=success_answer(result), stamps=stamps, now=now
        )
        return Finished(Outcome.SUCCEEDED)


def _execute_loaded(session: Session, run: StepRun, spec: AccountSpec) -> Finished:
    """Through the ORM: updates and moves (whose outcome applies their request), and an
    operation given up before its step."""
    loaded = lock_for_step(session, run.operation_id)  # held by this transaction already
    if loaded is None:  # pragma: no cover - read under the same lock
        return Finished(Outcome.SKIPPED, "finished or taken by another delivery meanwhile")
    operation, account = loaded
    operation.password_verifier = spec.password_verifier
    step = (
        move_step(run.sessions, run.driver, operation)
        if operation.kind == OperationKind.MOVE
        else _step_for(run.driver, operation.kind)
    )
    return _perform(
        session, run.driver, operation, account, spec, step=step, max_attempts=run.max_attempts
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
    outcome = run_step(step, spec, operation.attempts, max_attempts)
    if isinstance(outcome, StepFailure):
        if not outcome.retry:
            return fail_step(session, driver, spec, operation, outcome.reason)
        if not outcome.counted:
            operation.attempts -= 1
        return Finished(Outcome.RETRY, outcome.reason)
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
