"""Per-process worker resources: a database engine and a driver, created on first use."""

from __future__ import annotations

import os
from datetime import UTC, datetime

import structlog
from redis import Redis
from sqlalchemy import Engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from service.adapters.broker import require_redis_url
from service.adapters.secret_key import secret_key
from service.domain.clusters import CONFIGURED_CAPACITY, DEFAULT_CLUSTER
from service.domain.passwords import PasswordSeal
from service.settings import Settings
from service.store import clusters as registry
from service.store.db import create_sync_engine, sync_sessions
from workers.drivers import (
    ClusterRouter,
    Directory,
    FaultInjectingDriver,
    ProvisioningDriver,
    create_driver,
)
from workers.drivers import postgres_driver as make_postgres_driver

log = structlog.get_logger(__name__)


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
            self._driver = create_driver(self.settings, self._directory())
            self._pid = os.getpid()
        return self._sessions, self._driver

    def _directory(self) -> Directory:
        settings = self.settings

        def address(name: str) -> tuple[str, str, int] | None:
            with self.sessions() as session:
                found = registry.address_of(session, name)
            return (
                None if found is None else (found.sealed_url, found.public_host, found.public_port)
            )

        def names() -> list[str]:
            with self.sessions() as session:
                return registry.cluster_names(session)

        def note_health(name: str, error: str | None) -> None:
            with self.sessions.begin() as session:
                registry.note_health(session, name, now=datetime.now(UTC), error=error)

        def last_ok(name: str) -> datetime | None:
            with self.sessions() as session:
                return registry.last_ok_on(session, name)

        def probe(url: str, timeout_seconds: int) -> None:
            make_postgres_driver(settings, url, None, None).probe(timeout_seconds)

        return Directory(
            address=address,
            names=names,
            open_url=self.seal.open,
            make=lambda url, host, port: make_postgres_driver(settings, url, host, port),
            note_health=note_health,
            last_ok=last_ok,
            probe=probe,
        )

    def _unwrapped_driver(self) -> ProvisioningDriver:
        driver = self.driver
        return driver.inner if isinstance(driver, FaultInjectingDriver) else driver

    def router(self) -> ClusterRouter | None:
        """The router over the tenant cluster registry (the postgres driver's), if any."""
        driver = self._unwrapped_driver()
        return driver if isinstance(driver, ClusterRouter) else None

    def cluster_drivers(self) -> list[tuple[str, ProvisioningDriver]]:
        """Every tenant cluster with its driver, for the usage scan."""
        driver = self._unwrapped_driver()
        if isinstance(driver, ClusterRouter):
            return driver.clusters()
        return [(DEFAULT_CLUSTER, driver)]

    def register_default_cluster(self) -> None:
        """TENANT_DATABASE_URL (or DATABASE_URL, single-server) as the cluster `default` in
        DEFAULT_REGION; accounts without a cluster are placed on it. Logged, never fatal: a
        worker started before the migrations still works its own cluster."""
        settings = self.settings
        url = settings.tenant_url()
        if settings.driver != "postgres" or not url:
            return
        parsed = make_url(url)
        cluster = registry.Registration(
            name=DEFAULT_CLUSTER,
            region=settings.default_region,
            sealed_url=self.seal.seal(url),
            public_host=settings.tenant_public_host or parsed.host or "127.0.0.1",
            public_port=settings.tenant_public_port or parsed.port or 5432,
            capacity=CONFIGURED_CAPACITY,  # PATCH it to change it
        )
        try:
            with self.sessions.begin() as session:
                placed = registry.register_cluster(session, cluster)
        except SQLAlchemyError as exc:
            log.warning(
                "tenant_cluster.not_registered", cluster=DEFAULT_CLUSTER, error=type(exc).__name__
            )
            return
        log.info(
            "tenant_cluster.registered",
            cluster=DEFAULT_CLUSTER,
            region=cluster.region,
            accounts_placed=placed,
        )

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
