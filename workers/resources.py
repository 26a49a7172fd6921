"""Per-process worker resources: a database engine and a driver, created on first use."""

from __future__ import annotations

import os

from redis import Redis
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from service.adapters.broker import require_redis_url
from service.adapters.secret_key import secret_key
from service.domain.passwords import PasswordSeal
from service.settings import Settings
from service.store.db import create_sync_engine, sync_sessions
from workers.drivers import ProvisioningDriver, create_driver


class WorkerResources:
    """Owned by the worker entry point; rebuilt in each forked pool process (pid check)."""

    def __init__(self, settings: Settings) -> None:
        if not settings.database_url:
            raise RuntimeError(
                "DATABASE_URL is not set (run `provisioner up` for the embedded default)"
            )
        self.settings = settings
        # Every worker must share the API's SECRET_KEY: it unseals the passwords operations carry.
        self.seal = PasswordSeal(secret_key(settings))
        self._database_url = settings.database_url
        self._pid: int | None = None
        self._engine: Engine | None = None
        self._sessions: sessionmaker[Session] | None = None
        self._driver: ProvisioningDriver | None = None
        self._redis: Redis | None = None

    def _ensure(self) -> tuple[sessionmaker[Session], ProvisioningDriver]:
        if self._pid != os.getpid() or self._sessions is None or self._driver is None:
            # A forked child must not reuse the parent's pooled connections.
            if self._engine is not None:
                self._engine.dispose(close=False)
            # A step holds its operation's row lock; never longer than the task may run. No
            # pre-ping (two round trips per operation): a task retries a database outage.
            self._engine = create_sync_engine(
                self._database_url,
                idle_in_transaction_seconds=self.settings.task_time_limit_seconds + 30,
                pre_ping=False,
            )
            self._sessions = sync_sessions(self._engine)
            self._driver = create_driver(self.settings)
            self._pid = os.getpid()
        return self._sessions, self._driver

    @property
    def sessions(self) -> sessionmaker[Session]:
        return self._ensure()[0]

    @property
    def driver(self) -> ProvisioningDriver:
        return self._ensure()[1]

    @property
    def redis(self) -> Redis:
        """The broker's Redis, for pipelined publishes (redis-py reconnects after a fork)."""
        if self._redis is None:
            self._redis = Redis.from_url(
                require_redis_url(self.settings), socket_connect_timeout=5, socket_timeout=30
            )
        return self._redis

    def close(self) -> None:
        if self._redis is not None:
            self._redis.close()
            self._redis = None
        if self._engine is not None and self._pid == os.getpid():
            self._engine.dispose()
        self._engine = None
        self._pid = None
