"""Beat jobs: start the purge of accounts whose grace period ended; republish stuck operations."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, sessionmaker

from service.lifecycle import AccountState, OperationKind, OperationState
from service.models import Account, Operation
from service.operations import begin_operation

log = logging.getLogger(__name__)

Publish = Callable[[OperationKind, uuid.UUID], None]
SCAN_BATCH = 500


def start_due_purges(
    sessions: sessionmaker[Session], publish: Publish, *, batch: int = SCAN_BATCH
) -> int:
    """Give each dropped account past its scheduled deletion time a purge operation.

    `SKIP LOCKED` plus the state change to PURGING make concurrent scans (two beats) split the
    work instead of duplicating it.
    """
    started = 0
    while True:
        with sessions.begin() as session:
            accounts = session.scalars(
                select(Account)
                .where(
                    Account.state == AccountState.DROPPED,
                    Account.scheduled_deletion_time <= datetime.now(UTC),
                )
                .order_by(Account.scheduled_deletion_time)
                .limit(batch)
                .with_for_update(skip_locked=True)
            ).all()
            scan_id = f"purge-scan-{uuid.uuid4()}"
            operations = [
                begin_operation(account, OperationKind.PURGE, {}, scan_id) for account in accounts
            ]
            session.add_all(operations)
        for operation in operations:
            publish(operation.kind, operation.id)
        started += len(operations)
        if len(accounts) < batch:
            break
    if started:
        log.info("purge scan started %d purge operations", started)
    return started


def republish_queued(
    sessions: sessionmaker[Session],
    publish: Publish,
    *,
    older_than: timedelta,
    batch: int = SCAN_BATCH,
) -> int:
    """Publish again the operations still queued after `older_than` (a lost hand-off).

    A duplicate message is harmless: executing a finished or running operation is a no-op.
    """
    cutoff = datetime.now(UTC) - older_than
    with sessions.begin() as session:
        operations = session.scalars(
            select(Operation)
            .where(
                Operation.state == OperationState.QUEUED,
                Operation.created_at <= cutoff,
                or_(Operation.last_published_at.is_(None), Operation.last_published_at <= cutoff),
            )
            .order_by(Operation.created_at)
            .limit(batch)
            .with_for_update(skip_locked=True)
        ).all()
        now = datetime.now(UTC)
        for operation in operations:
            operation.last_published_at = now
        handed = [(operation.kind, operation.id) for operation in operations]
    for kind, operation_id in handed:
        publish(kind, operation_id)
    if handed:
        log.warning("republished %d operations still queued after %s", len(handed), older_than)
    return len(handed)
