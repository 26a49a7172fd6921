"""Beat jobs: purge accounts past their grace period; republish operations whose hand-off broke."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import structlog
from sqlalchemy import and_, or_, select, text, update
from sqlalchemy.orm import Session, sessionmaker

from service.domain.lifecycle import TRANSITIONS, AccountState, OperationKind, OperationState
from service.store.models import Operation

log = structlog.get_logger(__name__)

# Publishes a batch of committed operations (one pipelined round trip).
Publish = Callable[[list[tuple[OperationKind, uuid.UUID]]], None]
# Publishes committed purge operations, many per message (workers/purges.py).
PublishPurges = Callable[[list[uuid.UUID]], None]
SCAN_BATCH = 500
PURGE_RETRY_AFTER = timedelta(hours=1)
UNCLAIMED_PASSWORD_DAYS = 7


# One statement per batch: pick due accounts (SKIP LOCKED, so concurrent scans split the work),
# move them to PURGING and give each a queued purge operation. A purge that failed for good is
# tried again an hour later, not at every scan.
_START_PURGES = text(
    """
    WITH due AS (
        SELECT a.id FROM accounts a
        WHERE a.state = :dropped AND a.scheduled_deletion_time <= now()
          AND NOT EXISTS (
              SELECT 1 FROM operations o
              WHERE o.account_id = a.id AND o.kind = :purge AND o.state = :failed
                AND o.finished_at > now() - make_interval(secs => :retry_after_seconds)
          )
        ORDER BY a.scheduled_deletion_time
        LIMIT :batch
        FOR UPDATE SKIP LOCKED
    ), purging AS (
        UPDATE accounts SET state = :purging, updated_on = now()
        FROM due WHERE accounts.id = due.id
        RETURNING accounts.id, accounts.organization_id, accounts.name
    ), queued AS (
        INSERT INTO operations (
            id, organization_id, account_id, kind, state, request, request_id, attempts
        )
        SELECT gen_random_uuid(), organization_id, id, :purge, :queued, '{}'::jsonb, :scan_id, 0
        FROM purging
        RETURNING id, account_id
    )
    SELECT queued.id, purging.name FROM queued JOIN purging ON purging.id = queued.account_id
    """
)


def start_due_purges(
    sessions: sessionmaker[Session], publish: PublishPurges, *, batch: int = SCAN_BATCH
) -> int:
    """Give each dropped account past its scheduled deletion time a purge operation."""
    started = 0
    while True:
        with sessions.begin() as session:
            rows = session.execute(
                _START_PURGES,
                {
                    "dropped": AccountState.DROPPED.value,
                    "purging": TRANSITIONS[OperationKind.PURGE].pending.value,
                    "purge": OperationKind.PURGE.value,
                    "failed": OperationState.FAILED.value,
                    "queued": OperationState.QUEUED.value,
                    "retry_after_seconds": PURGE_RETRY_AFTER.total_seconds(),
                    "batch": batch,
                    "scan_id": f"purge-scan-{uuid.uuid4()}",
                },
            ).all()
        for operation_id, name in rows:
            log.info(
                "operation.queued",
                state=OperationState.QUEUED.value,
                operation_id=str(operation_id),
                kind=OperationKind.PURGE.value,
                account=name,
            )
        publish([operation_id for operation_id, _ in rows])
        started += len(rows)
        if len(rows) < batch:
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
