"""Thin task wrappers: each takes an operation id only and calls `execute_operation`."""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import structlog
from celery import Celery, Task
from sqlalchemy.exc import InterfaceError, OperationalError

from service import idempotency
from service.broker import (
    FORGET_EXPIRED_SECRETS,
    REPUBLISH_STRANDED,
    SCAN_DUE_PURGES,
    TASK_FOR_KIND,
    publish_batch,
)
from service.lifecycle import OperationKind
from service.logs import error_text
from workers.execute import Outcome, execute_operation
from workers.resources import WorkerResources
from workers.scans import forget_unclaimed_passwords, republish_stranded, start_due_purges

MAX_BACKOFF_SECONDS = 60.0
DATABASE_OUTAGES = (OperationalError, InterfaceError)
log = structlog.get_logger(__name__)


def retry_delay(retries: int) -> float:
    """Exponential backoff, jittered between half and all of 1 s, 2 s, 4 s, ... (max a minute)."""
    # The exponent is capped first: 2.0**1024 overflows a float.
    ceiling: float = min(MAX_BACKOFF_SECONDS, 2.0 ** min(retries, 16))
    return random.uniform(ceiling / 2, ceiling)  # noqa: S311 - jitter, not a secret


def register_tasks(app: Celery, resources: WorkerResources) -> None:
    settings = resources.settings

    def publish(items: list[tuple[OperationKind, uuid.UUID]]) -> None:
        publish_batch(app, resources.redis, settings.queue_name, items)

    def operation_task(name: str) -> Callable[..., Any]:
        @app.task(name=name, bind=True, max_retries=None)
        def run(task: Task[Any, Any], operation_id: str) -> str:
            try:
                outcome = execute_operation(
                    resources.sessions,
                    resources.driver,
                    uuid.UUID(operation_id),
                    max_attempts=settings.max_attempts,
                    seal=resources.seal,
                )
            except DATABASE_OUTAGES as exc:
                # The control-plane database is unreachable: nothing was recorded; try later.
                countdown = retry_delay(task.request.retries)
                log.warning(
                    "operation.database_unavailable",
                    operation_id=operation_id,
                    error=error_text(exc),
                    retry_in_seconds=round(countdown, 1),
                )
                raise task.retry(countdown=countdown) from exc
            if outcome is Outcome.RETRY:
                raise task.retry(countdown=retry_delay(task.request.retries))
            return outcome.value

        return run

    for task_name in TASK_FOR_KIND.values():
        operation_task(task_name)

    @app.task(name=SCAN_DUE_PURGES)
    def scan_due_purges() -> int:
        return start_due_purges(resources.sessions, publish)

    @app.task(name=REPUBLISH_STRANDED)
    def republish() -> int:
        return republish_stranded(
            resources.sessions,
            publish,
            queued_after=timedelta(seconds=settings.republish_after_seconds),
            running_after=timedelta(seconds=settings.stranded_after_seconds),
        )

    @app.task(name=FORGET_EXPIRED_SECRETS)
    def forget_expired_secrets() -> int:
        """Idempotency keys past their 24 h, and generated passwords unclaimed for a week."""
        with resources.sessions.begin() as session:
            return idempotency.forget_expired(session) + forget_unclaimed_passwords(session)
