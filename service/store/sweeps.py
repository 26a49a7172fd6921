"""The beat's sweeps over operations: hand-offs to repeat (stranded ones, and those of a
tenant cluster that is back), sealed passwords to forget."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import ColumnElement, and_, or_, select, update
from sqlalchemy.orm import InstrumentedAttribute, Session

from service.domain.lifecycle import PENDING_OPERATION_STATES, OperationKind, OperationState
from service.store.models import Account, Operation

UNCLAIMED_PASSWORD_DAYS = 7


def _waiting_since(
    state: OperationState, since: InstrumentedAttribute[datetime | None], cutoff: datetime
) -> ColumnElement[bool]:
    """In `state` since before `cutoff`, and not published again since then."""
    return and_(
        Operation.state == state,
        since <= cutoff,
        or_(Operation.last_published_at.is_(None), Operation.last_published_at <= cutoff),
    )


def mark_republished(
    session: Session,
    now: datetime,
    *,
    queued_cutoff: datetime,
    running_cutoff: datetime,
    batch: int,
) -> list[tuple[OperationKind, uuid.UUID, OperationState]]:
    """Operations queued since before `queued_cutoff` or claimed before `running_cutoff`
    whose rows nobody holds (SKIP LOCKED: a live worker holds its operation's row), oldest
    first, marked as published `now`: (kind, id, state) of each."""
    waiting = or_(
        _waiting_since(OperationState.QUEUED, Operation.created_at, queued_cutoff),
        _waiting_since(OperationState.RUNNING, Operation.claimed_at, running_cutoff),
    )
    return _mark_published(session, now, waiting, batch=batch)


def mark_republished_on(
    session: Session, now: datetime, cluster: str
) -> list[tuple[OperationKind, uuid.UUID, OperationState]]:
    """Every queued or running operation of the cluster's accounts, and every move to it,
    whose row nobody holds, marked as published `now`: (kind, id, state) of each."""
    on_cluster = or_(
        Operation.account_id.in_(select(Account.id).where(Account.cluster == cluster)),
        and_(
            Operation.kind == OperationKind.MOVE,
            Operation.request["cluster"].astext == cluster,
        ),
    )
    return _mark_published(
        session, now, and_(Operation.state.in_(PENDING_OPERATION_STATES), on_cluster)
    )


def _mark_published(
    session: Session, now: datetime, condition: ColumnElement[bool], *, batch: int | None = None
) -> list[tuple[OperationKind, uuid.UUID, OperationState]]:
    """The operations that meet `condition` and whose rows nobody holds (SKIP LOCKED), oldest
    first (at most `batch`), marked as published `now`."""
    operations = session.scalars(
        select(Operation)
        .where(condition)
        .order_by(Operation.created_at)
        .limit(batch)
        .with_for_update(skip_locked=True)
    ).all()
    for operation in operations:
        operation.last_published_at = now
    return [(operation.kind, operation.id, operation.state) for operation in operations]


def forget_unclaimed_passwords(session: Session) -> int:
    """Delete sealed passwords nobody fetched within a week (results are kept that long)."""
    result = session.execute(
        update(Operation)
        .where(
            Operation.sealed_password.is_not(None),
            Operation.finished_at < datetime.now(UTC) - timedelta(days=UNCLAIMED_PASSWORD_DAYS),
        )
        .values(sealed_password=None)
    )
    return int(getattr(result, "rowcount", 0) or 0)
