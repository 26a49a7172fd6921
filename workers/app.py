"""The worker-side Celery app: the shared broker config plus our tasks and the beat schedule."""

from __future__ import annotations

import logging
from pathlib import Path

from celery import Celery
from celery.signals import worker_ready, worker_shutdown

from service.broker import (
    FORGET_EXPIRED_SECRETS,
    REPUBLISH_STRANDED,
    SCAN_DUE_PURGES,
    create_celery,
    require_redis_url,
)
from service.settings import Settings
from workers.heartbeat import Heartbeat
from workers.resources import WorkerResources
from workers.tasks import register_tasks

FORGET_KEYS_INTERVAL_SECONDS = 3600.0


def create_worker_app(settings: Settings) -> tuple[Celery, WorkerResources]:
    app = create_celery(settings)
    resources = WorkerResources(settings)
    register_tasks(app, resources)
    app.conf.beat_schedule = {
        "scan-due-purges": {
            "task": SCAN_DUE_PURGES,
            "schedule": settings.purge_interval_seconds,
            # A scan nobody ran in time is superseded by the next one.
            "options": {"expires": settings.purge_interval_seconds},
        },
        "republish-stranded": {
            "task": REPUBLISH_STRANDED,
            "schedule": settings.republish_after_seconds,
            "options": {"expires": settings.republish_after_seconds},
        },
        "forget-expired-secrets": {
            "task": FORGET_EXPIRED_SECRETS,
            "schedule": FORGET_KEYS_INTERVAL_SECONDS,
            "options": {"expires": FORGET_KEYS_INTERVAL_SECONDS},
        },
    }
    return app, resources


def run_worker(settings: Settings, *, hostname: str, extra_args: list[str] | None = None) -> None:
    app, resources = create_worker_app(settings)
    heartbeat = Heartbeat(require_redis_url(settings), hostname)

    @worker_ready.connect(weak=False)
    def _beat_on_ready(**_: object) -> None:
        heartbeat.start()

    @worker_shutdown.connect(weak=False)
    def _stop_beating(**_: object) -> None:
        heartbeat.stop()

    argv = [
        "worker",
        f"--loglevel={settings.log_level}",
        f"--concurrency={settings.worker_concurrency}",
        f"--queues={settings.queue_name}",
        f"--hostname={hostname}",
        "--without-mingle",
        "--without-gossip",
        *(extra_args or []),
    ]
    try:
        app.worker_main(argv)
    finally:
        resources.close()


def run_beat(settings: Settings) -> None:
    app, _ = create_worker_app(settings)
    schedule = Path(settings.data_dir) / "celerybeat-schedule"
    schedule.parent.mkdir(parents=True, exist_ok=True)
    logging.getLogger(__name__).info("beat schedule file %s", schedule)
    app.start(["beat", f"--loglevel={settings.log_level}", f"--schedule={schedule}"])
