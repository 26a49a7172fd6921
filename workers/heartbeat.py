"""Worker heartbeats in Redis: who is online, how busy, how much done — without Celery inspect.

The worker's main process writes `provisioner:worker:<name>:<pid>` every few seconds with a short
expiry, so a dead worker disappears by itself; the API reads these keys for `/api/v2/queues`.
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
from datetime import UTC, datetime
from typing import Any

import structlog
from celery.worker import state as worker_state
from redis import Redis
from redis.exceptions import RedisError

from service.adapters.broker import heartbeat_key
from service.adapters.logs import error_text

log = structlog.get_logger(__name__)
INTERVAL_SECONDS = 5.0
EXPIRES_SECONDS = 20


class Heartbeat:
    def __init__(self, redis_url: str, name: str) -> None:
        self._redis = Redis.from_url(redis_url, socket_connect_timeout=2, socket_timeout=2)
        self._name = name
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="heartbeat", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=INTERVAL_SECONDS)
        with contextlib.suppress(RedisError):
            self._redis.delete(heartbeat_key(self._name, os.getpid()))
        self._redis.close()

    def snapshot(self) -> dict[str, Any]:
        return {
            "name": self._name,
            "active": len(worker_state.active_requests),
            "processed": sum(worker_state.total_count.values()),
            "last_heartbeat": datetime.now(UTC).isoformat(),
        }

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self._redis.set(
                    heartbeat_key(self._name, os.getpid()),
                    json.dumps(self.snapshot()),
                    ex=EXPIRES_SECONDS,
                )
            except RedisError as exc:
                log.warning("heartbeat.not_written", error=error_text(exc))
            self._stop.wait(INTERVAL_SECONDS)
