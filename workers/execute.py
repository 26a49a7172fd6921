"""Run one operation: claim it, skip it if terminal, call the driver, record the result."""

from __future__ import annotations

import dataclasses
import logging
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from enum import StrEnum

from sqlalchemy import delete, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from service.lifecycle import TERMINAL_OPERATION_STATES, OperationKind, OperationState
from service.models import Account, Operation, OperationProgress, Organization
from service.operations import (
    NOTIFY_DONE,
    DriverOutcome,
    complete_operation,
    done_notification,
    fail_operation,
)
from workers.drivers.base import AccountSpec, DriverError, ProvisioningDriver, TransientDriverError

log = logging.getLogger(__name__)


class Outcome(StrEnum):
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    SKIPPED = "skipped"
    RETRY = "retry"


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
    }
    return steps[kind]


def _claim(sessions: sessionmaker[Session], operation_id: uuid.UUID) -> bool:
    """Mark the operation running (one more attempt); False when there is nothing to do."""
    with sessions.begin() as session:
        # A locked row is being executed by another delivery of the same message right now.
        operation = session.scalar(
            select(Operation).where(Operation.id == operation_id).with_for_update(skip_locked=True)
        )
        if operation is None:
            log.info("operation %s is missing or being executed elsewhere; skipped", operation_id)
            return False
        if operation.state in TERMINAL_OPERATION_STATES:
            log.info("operation %s is already %s; nothing to do", operation_id, operation.state)
            return False
        operation.state = OperationState.RUNNING
        operation.attempts += 1
        operation.started_at = operation.started_at or _now()
        operation.claimed_at = _now()
        return True


def execute_operation(
    sessions: sessionmaker[Session],
    driver: ProvisioningDriver,
    operation_id: uuid.UUID,
    *,
    max_attempts: int,
) -> Outcome:
    """Perform the operation once in effect; RETRY means a transient failure to retry later."""
    if not _claim(sessions, operation_id):
        return Outcome.SKIPPED
    with sessions.begin() as session:
        # Held for the whole step: a duplicate delivery running concurrently skips instead.
        operation = session.scalar(
            select(Operation).where(Operation.id == operation_id).with_for_update(skip_locked=True)
        )
        if operation is None or operation.state in TERMINAL_OPERATION_STATES:
            return Outcome.SKIPPED
        return _perform(session, driver, operation, max_attempts, _progress(sessions, operation_id))


def _spec(session: Session, operation: Operation) -> tuple[Account, AccountSpec]:
    account = session.get(Account, operation.account_id)
    organization = session.get(Organization, operation.organization_id)
    if account is None or organization is None:  # pragma: no cover - FK-protected
        raise RuntimeError(f"operation {operation.id} lost its account or organization")
    return account, AccountSpec(
        organization_name=organization.name,
        name=account.name,
        locator=account.account_locator,
        edition=account.edition,
        region=account.region or "",
        tenant_database=account.tenant_database or "",
        tenant_role=account.tenant_role or "",
        request=dict(operation.request),
        password_verifier=operation.password_verifier,
    )


def _progress(sessions: sessionmaker[Session], operation_id: uuid.UUID) -> Callable[[str], None]:
    """Record the current step from a connection of its own: the step's transaction holds the
    operation's row, and its writes would stay invisible until the step ends."""

    def report(step: str) -> None:
        statement = insert(OperationProgress).values(operation_id=operation_id, step=step)
        statement = statement.on_conflict_do_update(
            index_elements=[OperationProgress.operation_id],
            set_={"step": step, "updated_at": func.now()},
        )
        try:
            with sessions.begin() as progress_session:
                progress_session.execute(statement)
        except SQLAlchemyError:
            log.warning("could not record step %r of operation %s", step, operation_id)

    return report


def _perform(
    session: Session,
    driver: ProvisioningDriver,
    operation: Operation,
    max_attempts: int,
    progress: Callable[[str], None],
) -> Outcome:
    account, spec = _spec(session, operation)
    spec = dataclasses.replace(spec, progress=progress)
    if operation.attempts > max_attempts:  # every earlier attempt lost its worker mid-step
        return _fail(session, driver, spec, operation, f"gave up after {max_attempts} attempts")
    try:
        outcome = _step_for(driver, operation.kind)(spec)
    except TransientDriverError as exc:
        if operation.attempts < max_attempts:
            log.warning("operation %s: transient failure, will retry: %s", operation.id, exc)
            return Outcome.RETRY
        reason = f"{exc} (after {operation.attempts} attempts)"
        return _fail(session, driver, spec, operation, reason)
    except DriverError as exc:
        return _fail(session, driver, spec, operation, str(exc))
    session.refresh(account, with_for_update=True)
    complete_operation(operation, account, outcome, _now())
    _announce(session, operation)
    log.info("operation %s (%s %s) succeeded", operation.id, operation.kind, account.name)
    return Outcome.SUCCEEDED


def _fail(
    session: Session,
    driver: ProvisioningDriver,
    spec: AccountSpec,
    operation: Operation,
    reason: str,
) -> Outcome:
    account = session.get(
        Account, operation.account_id, with_for_update=True, populate_existing=True
    )
    if account is None:  # pragma: no cover - FK-protected
        raise RuntimeError(f"operation {operation.id} lost its account")
    _compensate(driver, spec, operation.kind)
    fail_operation(operation, account, reason, _now(), operation.request_id or "")
    _announce(session, operation)
    log.warning(
        "operation %s (%s %s) failed: %s", operation.id, operation.kind, account.name, reason
    )
    return Outcome.FAILED


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
        log.exception("could not undo the failed %s of %s", kind.value, spec.name)


def _announce(session: Session, operation: Operation) -> None:
    """Tell waiters (NOTIFY is delivered at commit) and drop the progress row."""
    session.execute(NOTIFY_DONE, done_notification(operation))
    session.execute(delete(OperationProgress).where(OperationProgress.operation_id == operation.id))
