"""What a worker reads and writes around one operation's step: the claim, the locked rows, the
progress note, a patch's collisions."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, bindparam, func, select, true, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from service.domain.account_spec import AccountSpec
from service.domain.lifecycle import (
    GONE_STATES,
    PENDING_OPERATION_STATES,
    OperationKind,
    OperationState,
)
from service.store.compiled import constant
from service.store.models import (
    Account,
    Operation,
    OperationProgress,
    accounts_table,
    operations_table,
    organizations_table,
)

# One statement: lock the row unless another delivery holds it (SKIP LOCKED: no row at all),
# and mark it running unless it is finished (a row with its state and no claim). Its commit
# does not wait for the disk (set_config; see commit_without_waiting_for_disk).
_TARGET = (
    select(operations_table.c.id, operations_table.c.state)
    .where(operations_table.c.id == bindparam("operation_id"))
    .with_for_update(skip_locked=True)
    .cte("target")
)
# What claiming does to an operation's row (one more attempt), in every claim.
CLAIM_VALUES = {
    "state": constant(OperationState.RUNNING.value),
    "attempts": operations_table.c.attempts + 1,
    "started_at": func.coalesce(operations_table.c.started_at, func.now()),
    "claimed_at": func.now(),
}
_CLAIMED = (
    update(operations_table)
    .where(
        operations_table.c.id == _TARGET.c.id,
        _TARGET.c.state.in_(
            bindparam("pending", sorted(PENDING_OPERATION_STATES), literal_execute=True)
        ),
    )
    .values(CLAIM_VALUES)
    .returning(operations_table.c.kind, operations_table.c.attempts, operations_table.c.account_id)
    .cte("claimed")
)
_CLAIM = select(
    _TARGET.c.state,
    _CLAIMED.c.kind,
    _CLAIMED.c.attempts,
    select(accounts_table.c.name)
    .where(accounts_table.c.id == _CLAIMED.c.account_id)
    .scalar_subquery(),
    func.set_config("synchronous_commit", "off", True),
).select_from(_TARGET.outerjoin(_CLAIMED, true()))


@dataclass(frozen=True)
class Claim:
    """What a claim found: the operation's state, and when it was claimed now, its kind,
    attempt and account (else None: it was finished already)."""

    state: OperationState
    kind: OperationKind | None
    attempt: int
    account: str


def claim_operation(session: Session, operation_id: uuid.UUID) -> Claim | None:
    """Mark the operation running (one more attempt) unless it is finished; None when another
    delivery holds its row right now."""
    row = session.execute(_CLAIM, {"operation_id": operation_id}).one_or_none()
    if row is None:
        return None
    state, kind, attempts, account, _ = row
    return Claim(
        OperationState(state),
        OperationKind(kind) if kind is not None else None,
        attempts or 0,
        account or "",
    )


def commit_without_waiting_for_disk(session: Session) -> None:
    """This transaction's commit returns before its WAL reaches the disk (~1 fsync saved).

    Only a PostgreSQL crash in the next fraction of a second can undo such a commit — never a
    worker's — and for a claim or a progress note that is harmless: the operation is still
    queued or running, the republish sweep hands it out again and every step is idempotent.
    """
    session.execute(select(func.set_config("synchronous_commit", "off", True)))


def lock_for_step(session: Session, operation_id: uuid.UUID) -> tuple[Operation, Account] | None:
    """The operation (its row held until the transaction ends; None when another delivery
    holds it) and its account."""
    row = session.execute(
        select(Operation, Account)
        .join(Account, Account.id == Operation.account_id)
        .where(Operation.id == operation_id)
        .with_for_update(of=Operation, skip_locked=True)
    ).one_or_none()
    return None if row is None else (row[0], row[1])


@dataclass(frozen=True)
class StepRow:
    """What a step reads of its operation, and of its account as its driver is told it (the
    operation's row held by the reading transaction)."""

    state: OperationState
    kind: OperationKind
    attempts: int
    sealed_password: str | None
    account: AccountSpec


_accounts = accounts_table.c


def account_spec_columns(
    request: ColumnElement[Any], password_verifier: ColumnElement[Any]
) -> tuple[ColumnElement[Any], ...]:
    """AccountSpec's fields as columns, in its order (its progress aside): what a driver is told
    of the account, read by the statement that claims or locks its operation."""
    return (
        organizations_table.c.name,
        _accounts.name,
        _accounts.account_locator,
        _accounts.edition,
        func.coalesce(_accounts.region, ""),
        func.coalesce(_accounts.tenant_database, ""),
        func.coalesce(_accounts.tenant_role, ""),
        request,
        password_verifier,
        _accounts.enabled,
        _accounts.cluster,
    )


_STEP_READ = (
    select(
        operations_table.c.state,
        operations_table.c.kind,
        operations_table.c.attempts,
        operations_table.c.sealed_password,
        *account_spec_columns(operations_table.c.request, operations_table.c.password_verifier),
    )
    .join(accounts_table, _accounts.id == operations_table.c.account_id)
    .join(organizations_table, organizations_table.c.id == operations_table.c.organization_id)
    .where(operations_table.c.id == bindparam("operation_id"))
    .with_for_update(of=operations_table, skip_locked=True)
)


def read_step(session: Session, operation_id: uuid.UUID) -> StepRow | None:
    """The step's rows in one Core statement, the operation's held until the transaction ends
    (None when another delivery holds it)."""
    row = session.execute(_STEP_READ, {"operation_id": operation_id}).one_or_none()
    if row is None:
        return None
    state, kind, attempts, sealed_password, *account = row
    return StepRow(
        OperationState(state), OperationKind(kind), attempts, sealed_password, AccountSpec(*account)
    )


_RETRIED = (
    update(operations_table)
    .where(operations_table.c.id == bindparam("operation_id"))
    .values(
        attempts=operations_table.c.attempts - bindparam("uncounted"),
        password_verifier=bindparam("verifier"),
    )
)


def note_retry(
    session: Session, operation_id: uuid.UUID, *, verifier: str | None, counted: bool
) -> None:
    """The step failed transiently: keep the verifier for the next attempt, and give the
    attempt back when it never started (`counted` false: the cluster was unreachable)."""
    session.execute(
        _RETRIED,
        {"operation_id": operation_id, "verifier": verifier, "uncounted": 0 if counted else 1},
    )


def note_progress(session: Session, operation_id: uuid.UUID, step: str) -> None:
    """Record the step an operation is on (upsert of its progress row)."""
    statement = insert(OperationProgress).values(operation_id=operation_id, step=step)
    session.execute(
        statement.on_conflict_do_update(
            index_elements=[OperationProgress.operation_id],
            set_={"step": step, "updated_at": func.now()},
        )
    )


def taken_by_another(session: Session, account: Account, column: str, value: object) -> bool:
    """Whether another live account of the organization has `value` in `column` (name or
    external_id)."""
    holder = session.scalar(
        select(Account.id).where(
            Account.organization_id == account.organization_id,
            getattr(Account, column) == value,
            Account.state.not_in(GONE_STATES),
            Account.id != account.id,
        )
    )
    return holder is not None
