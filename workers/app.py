"""The worker-side Celery app: the shared broker config plus our tasks and the beat schedule."""

from __future__ import annotations

import gc
from pathlib import Path
from typing import Any

import structlog
from celery import Celery
from celery.signals import setup_logging, worker_process_init, worker_ready, worker_shutdown

from service.adapters.broker import (
    FORGET_EXPIRED_SECRETS,
    REPUBLISH_STRANDED,
    SCAN_DUE_PURGES,
    create_celery,
    purge_queue,
    require_redis_url,
)
from service.adapters.logs import rendering
from service.settings import Settings
from workers.heartbeat import Heartbeat
from workers.resources import WorkerResources
from workers.tasks import register_tasks
from workers.usage import SCAN_USAGE
from workers.wakeups import PROBE_DOWN_CLUSTERS

FORGET_KEYS_INTERVAL_SECONDS = 3600.0


def _keep_our_logging(**_: object) -> None:
    """Celery sets up logging only when nobody answers this signal: our entry point did."""


def _celery_options(settings: Settings) -> list[str]:
    # The start-up banners are printed, not logged: a JSON log stream goes without them.
    return ["--quiet"] if rendering(settings.log_format) == "json" else []


def _every(task: str, seconds: float) -> dict[str, Any]:
    """A beat entry: `task` every `seconds`. A run nobody started in time is superseded by the
    next one."""
    return {"task": task, "schedule": seconds, "options": {"expires": seconds}}


def create_worker_app(settings: Settings) -> tuple[Celery, WorkerResources]:
    setup_logging.connect(_keep_our_logging, weak=False)
    app = create_celery(settings)
    # Task events (received, started, succeeded, ...) let Flower follow every task; Flower
    # switches them on every few seconds while it runs (remote control), so by default they
    # cost nothing when nobody watches.
    app.conf.worker_send_task_events = settings.task_events
    resources = WorkerResources(settings)
    register_tasks(app, resources)
    app.conf.beat_schedule = {
        "scan-due-purges": _every(SCAN_DUE_PURGES, settings.purge_interval_seconds),
        "republish-stranded": _every(REPUBLISH_STRANDED, settings.republish_after_seconds),
        "probe-down-clusters": _every(PROBE_DOWN_CLUSTERS, settings.cluster_probe_interval_seconds),
        "scan-usage": _every(SCAN_USAGE, settings.usage_scan_interval_seconds),
        "forget-expired-secrets": _every(FORGET_EXPIRED_SECRETS, FORGET_KEYS_INTERVAL_SECONDS),
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

    @worker_process_init.connect(weak=False)
    def _freeze_inherited_objects(**_: object) -> None:
        # What a pool process inherits lives as long as it does: keep it out of the collector's
        # full passes, which otherwise walk it all again and again (see service/cli.py).
        gc.collect()
        gc.freeze()

    argv = [
        *_celery_options(settings),
        "worker",
        f"--loglevel={settings.log_level}",
        f"--concurrency={settings.worker_concurrency}",
        f"--queues={settings.queue_name},{purge_queue(settings.queue_name)}",
        f"--hostname={hostname}",
        "--without-mingle",
        "--without-gossip",
        *(extra_args or []),
    ]
    resources.register_default_cluster()
    try:
        app.worker_main(argv)
    finally:
        resources.close()


def run_beat(settings: Settings) -> None:
    app, _ = create_worker_app(settings)
    schedule = Path(settings.data_dir) / "celerybeat-schedule"
    schedule.parent.mkdir(parents=True, exist_ok=True)
    structlog.get_logger(__name__).info("beat.schedule_file", path=str(schedule))
    app.start(
        [
            *_celery_options(settings),
            "beat",
            f"--loglevel={settings.log_level}",
            f"--schedule={schedule}",
        ]
    )


def run_flower(settings: Settings, *, address: str, port: int) -> None:
    """Flower (the `celery flower` sub-command it registers) watching our workers' events."""
    app, resources = create_worker_app(settings)
    try:
        # Flower logs its banner (no --quiet: that hides it); --logging=none: tornado would
        # otherwise reset the root logger's level to its own.
        app.start(
            [
                "flower",
                f"--address={address}",
                f"--port={port}",
                "--logging=none",
            ]
        )
    finally:
        resources.close()
