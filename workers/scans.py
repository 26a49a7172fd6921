"""Beat jobs: purge accounts past their grace period; republish operations whose hand-off broke."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import structlog
from sqlalchemy.orm import Session, sessionmaker

from service.adapters.hand_over_log import log_queued
from service.domain.lifecycle import OperationKind, OperationState
from service.store.purges import start_purges
from service.store.sweeps import mark_republished

log = structlog.get_logger(__name__)

# Publishes a batch of committed operations (one pipelined round trip).
Publish = Callable[[list[tuple[OperationKind, uuid.UUID]]], None]
# Publishes committed purge operations, many per message (workers/purges.py).
PublishPurges = Callable[[list[uuid.UUID]], None]
SCAN_BATCH = 500
PURGE_RETRY_AFTER = timedelta(hours=1)


def start_due_purges(
    sessions: sessionmaker[Session], publish: PublishPurges, *, batch: int = SCAN_BATCH
) -> int:
    """Give each dropped account past its scheduled deletion time a purge operation."""
    started = 0
    while True:
        with sessions.begin() as session:
            rows = start_purges(
                session,
                batch=batch,
                retry_after=PURGE_RETRY_AFTER,
                scan_id=f"purge-scan-{uuid.uuid4()}",
            )
        for operation_id, name in rows:
            log_queued(log, operation_id, OperationKind.PURGE, account=name)
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
    with sessions.begin() as session:
        handed = mark_republished(
            session,
            now,
            queued_cutoff=now - queued_after,
            running_cutoff=now - running_after,
            batch=batch,
        )
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
