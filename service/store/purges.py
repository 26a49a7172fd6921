"""Purges in bulk: due accounts given their purge operations by the scan, and batches of purges
claimed, held and recorded as succeeded, each in one statement."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import (
    Interval,
    Text,
    Uuid,
    any_,
    bindparam,
    cast,
    delete,
    exists,
    func,
    insert,
    literal,
    null,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Session

from service.domain.account_spec import AccountSpec
from service.domain.lifecycle import TRANSITIONS, AccountState, OperationKind, OperationState
from service.domain.results import success_body
from service.store.compiled import constant
from service.store.models import (
    accounts_table,
    operations_table,
    organizations_table,
    progress_table,
)
from service.store.notifications import DONE_CHANNEL
from service.store.outcomes import succeeded_values
from service.store.steps import CLAIM_VALUES, account_spec_columns

_accounts, _operations = accounts_table, operations_table
_organizations, _progress = organizations_table, progress_table
_PURGE = TRANSITIONS[OperationKind.PURGE]


# Due accounts (SKIP LOCKED, so concurrent scans split the work) moved to PURGING, each with a
# queued purge operation. A purge that failed for good is tried again only after `retry_after`.
_DUE = (
    select(_accounts.c.id)
    .where(
        _accounts.c.state == constant(AccountState.DROPPED.value),
        _accounts.c.scheduled_deletion_time <= func.now(),
        ~exists().where(
            _operations.c.account_id == _accounts.c.id,
            _operations.c.kind == constant(OperationKind.PURGE.value),
            _operations.c.state == constant(OperationState.FAILED.value),
            _operations.c.finished_at > func.now() - bindparam("retry_after", type_=Interval),
        ),
    )
    .order_by(_accounts.c.scheduled_deletion_time)
    .limit(bindparam("batch"))
    .with_for_update(skip_locked=True)
    .cte("due")
)
_PURGING = (
    update(_accounts)
    .where(_accounts.c.id == _DUE.c.id)
    .values(state=constant(_PURGE.pending.value), updated_on=func.now())
    .returning(_accounts.c.id, _accounts.c.organization_id, _accounts.c.name)
    .cte("purging")
)
_QUEUED = (
    insert(_operations)
    .from_select(
        [
            *("id", "organization_id", "account_id", "kind", "state", "request"),
            *("request_id", "attempts"),
        ],
        select(
            func.gen_random_uuid(),
            _PURGING.c.organization_id,
            _PURGING.c.id,
            constant(OperationKind.PURGE.value),
            constant(OperationState.QUEUED.value),
            cast(constant("{}"), JSONB),
            bindparam("scan_id"),
            constant(0),
        ),
        include_defaults=False,
    )
    .returning(_operations.c.id, _operations.c.account_id)
    .cte("queued")
)
_START_PURGES = select(_QUEUED.c.id, _PURGING.c.name).join_from(
    _QUEUED, _PURGING, _PURGING.c.id == _QUEUED.c.account_id
)


def start_purges(
    session: Session, *, batch: int, retry_after: timedelta, scan_id: str
) -> list[tuple[uuid.UUID, str]]:
    """Give up to `batch` due accounts a queued purge: (operation id, account name) of each."""
    rows = session.execute(
        _START_PURGES, {"batch": batch, "retry_after": retry_after, "scan_id": scan_id}
    )
    return [(operation_id, name) for operation_id, name in rows]


_IDS = bindparam("ids", type_=ARRAY(Uuid))
_CLAIMABLE = (
    select(_operations.c.id)
    .where(
        _operations.c.id == any_(_IDS),
        _operations.c.kind == constant(OperationKind.PURGE.value),
        _operations.c.state == constant(OperationState.QUEUED.value),
    )
    .with_for_update(skip_locked=True)
    .cte("claimable")
)
# The claim commits before the steps (attempts + 1): a batch whose worker dies is not run again
# as a batch; the stranded-operation sweep hands each of its purges out alone.
_CLAIM = (
    update(_operations)
    .where(
        _operations.c.id == _CLAIMABLE.c.id,
        _accounts.c.id == _operations.c.account_id,
        _organizations.c.id == _operations.c.organization_id,
    )
    .values(CLAIM_VALUES)
    # A purge's driver is told no request and no password.
    .returning(_operations.c.id, *account_spec_columns(literal({}, JSONB), null()))
)


def claim_purges(
    session: Session, operation_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, AccountSpec]:
    """Mark the batch's queued purges running; the account of each one claimed."""
    rows = session.execute(_CLAIM, {"ids": list(operation_ids)})
    return {operation_id: AccountSpec(*account) for operation_id, *account in rows}


_LOCK = (
    select(_operations.c.id)
    .where(
        _operations.c.id == any_(_IDS),
        _operations.c.state == constant(OperationState.RUNNING.value),
    )
    .with_for_update(skip_locked=True)
)


def lock_running(session: Session, operation_ids: Sequence[uuid.UUID]) -> set[uuid.UUID]:
    """The running purges among `operation_ids` whose rows this transaction now holds (those
    another delivery holds are left to it)."""
    return set(session.scalars(_LOCK, {"ids": list(operation_ids)}))


# What `complete_operation` does to a purge and its account, for a whole batch at once.
_DONE = (
    update(_operations)
    .where(_operations.c.id == any_(_IDS))
    .values(succeeded_values(sealed_password=null()))
    .returning(_operations.c.id, _operations.c.account_id)
    .cte("done")
)
_PURGED = (
    update(_accounts)
    .where(_accounts.c.id == _DONE.c.account_id)
    .values(
        state=constant(_PURGE.succeeded.value), purged_on=bindparam("now"), updated_on=func.now()
    )
    .returning(_accounts.c.id)
    .cte("purged")
)
_SENT = select(func.pg_notify(constant(DONE_CHANNEL), cast(_DONE.c.id, Text))).subquery("sent")
_SUCCEED = select(
    select(func.count()).select_from(_SENT).scalar_subquery(),
    select(func.count()).select_from(_PURGED).scalar_subquery(),
).add_cte(delete(_progress).where(_progress.c.operation_id == any_(_IDS)).cte("progress"))


def record_purged(session: Session, operation_ids: list[uuid.UUID], now: datetime) -> None:
    """The purges (whose rows this transaction holds) succeeded: operations, accounts, progress
    rows and the NOTIFY of each, in one statement."""
    notified, purged = session.execute(
        _SUCCEED, {"ids": operation_ids, "body": success_body(), "now": now}
    ).one()
    if notified != len(operation_ids) or purged != len(operation_ids):  # pragma: no cover
        raise RuntimeError(
            f"purge batch recorded {notified}/{purged} of {len(operation_ids)} operations"
        )
