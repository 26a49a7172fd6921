"""Thin task wrappers: an operation id for `execute_operation`, a batch of purge operation ids
for `execute_purges`, and the beat's scans."""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import structlog
from celery import Celery, Task
from sqlalchemy.exc import InterfaceError, OperationalError

from service.adapters.broker import (
    FORGET_EXPIRED_SECRETS,
    PURGE_BATCH_TASK,
    REPUBLISH_STRANDED,
    SCAN_DUE_PURGES,
    TASK_FOR_KIND,
    publish_batch,
    purge_queue,
    push_tasks,
)
from service.adapters.logs import error_text
from service.adapters.pacing import Pacer
from service.domain.lifecycle import OperationKind
from service.domain.usage import StorageLimitAction
from service.store import idempotency
from service.store.sweeps import forget_unclaimed_passwords
from workers.execute import Outcome, execute_operation
from workers.priority import LowPriorityThread
from workers.purges import PURGE_BATCH, execute_purges
from workers.resources import WorkerResources
from workers.scans import Publish, republish_stranded, start_due_purges
from workers.usage import SCAN_USAGE, UsagePolicy, scan_fleet
from workers.wakeups import PROBE_DOWN_CLUSTERS, AwayClusters, wake_clusters_back

MAX_BACKOFF_SECONDS = 60.0
DATABASE_OUTAGES = (OperationalError, InterfaceError)
PURGE_PACE_KEY = "purges"
log = structlog.get_logger(__name__)


def retry_delay(retries: int) -> float:
    """Exponential backoff, jittered between half and all of 1 s, 2 s, 4 s, ... (max a minute)."""
    # The exponent is capped first: 2.0**1024 overflows a float.
    ceiling: float = min(MAX_BACKOFF_SECONDS, 2.0 ** min(retries, 16))
    return random.uniform(ceiling / 2, ceiling)  # noqa: S311 - jitter, not a secret


def register_tasks(app: Celery, resources: WorkerResources) -> None:
    _register_operation_tasks(app, resources)
    _register_purge_tasks(app, resources)
    _register_sweeps(app, resources)
    _register_usage_scan(app, resources)


def _register_operation_tasks(app: Celery, resources: WorkerResources) -> None:
    settings = resources.settings

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


def _register_purge_tasks(app: Celery, resources: WorkerResources) -> None:
    """The beat's scan, and the batches of purges it publishes."""
    settings = resources.settings
    queue = settings.queue_name
    rate = settings.purge_rate_per_second
    pacer = Pacer(
        resources.redis,
        PURGE_PACE_KEY,
        rate=rate,
        burst=2 * PURGE_BATCH,
        min_rate=settings.purge_min_rate_per_second,
        yield_ratio=settings.purge_yield_ratio,
        namespace=queue,
    )
    purge_thread = LowPriorityThread(settings.purge_niceness)

    def publish_purges(operation_ids: list[uuid.UUID]) -> None:
        batches = [
            operation_ids[start : start + PURGE_BATCH]
            for start in range(0, len(operation_ids), PURGE_BATCH)
        ]
        messages = [(PURGE_BATCH_TASK, ([str(i) for i in batch],)) for batch in batches]
        push_tasks(app, resources.redis, purge_queue(queue), messages)

    def retry_alone(operation_id: uuid.UUID) -> None:
        """A purge that failed transiently is retried with backoff, one at a time."""
        app.send_task(
            TASK_FOR_KIND[OperationKind.PURGE], args=(str(operation_id),), countdown=retry_delay(0)
        )

    @app.task(name=PURGE_BATCH_TASK, bind=True, max_retries=None)
    def purge_accounts(task: Task[Any, Any], operation_ids: list[str]) -> int:
        try:
            result = purge_thread.run(
                lambda: execute_purges(
                    resources.sessions,
                    resources.driver,
                    [uuid.UUID(i) for i in operation_ids],
                    retry_later=retry_alone,
                    pace=pacer.wait_needed,
                )
            )
        except DATABASE_OUTAGES as exc:
            countdown = retry_delay(task.request.retries)
            log.warning(
                "purges.database_unavailable",
                operations=len(operation_ids),
                error=error_text(exc),
                retry_in_seconds=round(countdown, 1),
            )
            raise task.retry(countdown=countdown) from exc
        return result.succeeded

    @app.task(name=SCAN_DUE_PURGES)
    def scan_due_purges() -> int:
        return start_due_purges(resources.sessions, publish_purges)


def _publisher(app: Celery, resources: WorkerResources) -> Publish:
    """Publishes committed operations to the queue, many in one round trip."""

    def publish(items: list[tuple[OperationKind, uuid.UUID]]) -> None:
        publish_batch(app, resources.redis, resources.settings.queue_name, items)

    return publish


def _register_sweeps(app: Celery, resources: WorkerResources) -> None:
    settings = resources.settings
    publish = _publisher(app, resources)

    @app.task(name=REPUBLISH_STRANDED)
    def republish() -> int:
        return republish_stranded(
            resources.sessions,
            publish,
            queued_after=timedelta(seconds=settings.republish_after_seconds),
            running_after=timedelta(seconds=settings.stranded_after_seconds),
        )

    @app.task(name=PROBE_DOWN_CLUSTERS)
    def probe_down_clusters() -> int:
        router = resources.router()
        if router is None:  # the simulated driver: no registry
            return 0
        away = AwayClusters(resources.redis, settings.queue_name)
        return wake_clusters_back(resources.sessions, router, publish, away)

    @app.task(name=FORGET_EXPIRED_SECRETS)
    def forget_expired_secrets() -> int:
        """Idempotency keys past their 24 h, and generated passwords unclaimed for a week."""
        with resources.sessions.begin() as session:
            return idempotency.forget_expired(session) + forget_unclaimed_passwords(session)


def _register_usage_scan(app: Celery, resources: WorkerResources) -> None:
    settings = resources.settings
    policy = UsagePolicy(settings.plans(), StorageLimitAction(settings.storage_limit_action))
    publish = _publisher(app, resources)
    # Half an interval: a scan that ran late does not make the next one redundant.
    min_gap = timedelta(seconds=settings.usage_scan_interval_seconds / 2)

    @app.task(name=SCAN_USAGE)
    def measure_usage() -> int:
        """Every account's storage and connections, one query per tenant cluster."""
        clusters = resources.cluster_drivers()
        return scan_fleet(resources.sessions, clusters, policy, publish, min_gap=min_gap)
