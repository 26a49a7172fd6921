"""Beat jobs: purge accounts past their grace period; republish operations whose hand-off broke."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import structlog
from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from service.lifecycle import AccountState, OperationKind, OperationState
from service.models import Account, Operation
from service.operations import begin_operation

log = structlog.get_logger(__name__)

# Publishes a batch of committed operations (one pipelined round trip).
Publish = Callable[[list[tuple[OperationKind, uuid.UUID]]], None]
SCAN_BATCH = 500
PURGE_RETRY_AFTER = timedelta(hours=1)
UNCLAIMED_PASSWORD_DAYS = 7


def start_due_purges(
    sessions: sessionmaker[Session], publish: Publish, *, batch: int = SCAN_BATCH
) -> int:
    """Give each dropped account past its scheduled deletion time a purge operation.

    `SKIP LOCKED` plus the state change to PURGING make concurrent scans (two beats) split the
    work instead of duplicating it.
    """
    # A purge that failed for good is tried again an hour later, not at every scan.
    recently_failed = (
        select(Operation.id)
        .where(
            Operation.account_id == Account.id,
            Operation.kind == OperationKind.PURGE,
            Operation.state == OperationState.FAILED,
            Operation.finished_at > datetime.now(UTC) - PURGE_RETRY_AFTER,
        )
        .exists()
    )
    started = 0
    while True:
        with sessions.begin() as session:
            accounts = session.scalars(
                select(Account)
                .where(
                    Account.state == AccountState.DROPPED,
                    Account.scheduled_deletion_time <= datetime.now(UTC),
                    ~recently_failed,
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
            queued = [
                (operation, account.name)
                for operation, account in zip(operations, accounts, strict=True)
            ]
        for operation, name in queued:
            log.info(
                "operation.queued",
                state=OperationState.QUEUED.value,
                operation_id=str(operation.id),
                kind=operation.kind.value,
                account=name,
            )
        publish([(operation.kind, operation.id) for operation, _ in queued])
        started += len(operations)
        if len(accounts) < batch:
            break
    if started:
        log.info("purges.started", count=started)
    return started


def republish_stranded(
    sessions: sessionmaker[Session],
    publish: Publish,
    *,
    queued_after: timedelta,
    running_after: timedelta,
    batch: int = SCAN_BATCH,
) -> int:
    """Publish again the operations whose hand-off was lost.

    Queued ones older than `queued_after` (the broker was down, or the API died between commit
    and publish) and running ones claimed longer ago than `running_after` whose row nobody
    holds (`SKIP LOCKED`): a live worker keeps its operation's row locked for the whole step.
    A duplicate message is harmless: executing a finished or running operation is a no-op.
    """
    now = datetime.now(UTC)
    queued_cutoff, running_cutoff = now - queued_after, now - running_after
    with sessions.begin() as session:
        operations = session.scalars(
            select(Operation)
            .where(
                or_(
                    and_(
                        Operation.state == OperationState.QUEUED,
                        Operation.created_at <= queued_cutoff,
                        or_(
                            Operation.last_published_at.is_(None),
                            Operation.last_published_at <= queued_cutoff,
                        ),
                    ),
                    and_(
                        Operation.state == OperationState.RUNNING,
                        Operation.claimed_at <= running_cutoff,
                        or_(
                            Operation.last_published_at.is_(None),
                            Operation.last_published_at <= running_cutoff,
                        ),
                    ),
                )
            )
            .order_by(Operation.created_at)
            .limit(batch)
            .with_for_update(skip_locked=True)
        ).all()
        for operation in operations:
            operation.last_published_at = now
        handed = [(operation.kind, operation.id, operation.state) for operation in operations]
    publish([(kind, operation_id) for kind, operation_id, _ in handed])
    if handed:
        stranded = sum(1 for *_, state in handed if state == OperationState.RUNNING)
        log.warning(
            "operations.republished",
            count=len(handed),
            queued=len(handed) - stranded,
            stranded=stranded,
        )
    return len(handed)


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
