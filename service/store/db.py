"""Engine and session factories built from a database URL (async for the web, sync elsewhere)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import asyncpg
from asyncpg.pool import PoolConnectionProxy
from sqlalchemy import Engine, create_engine, literal, select
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import Session, sessionmaker

ASYNC_DRIVER = "postgresql+asyncpg"
# A connection of the hot pool, as `HotPool.acquire` hands it out.
PoolConnection = asyncpg.Connection | PoolConnectionProxy
SYNC_DRIVER = "postgresql+psycopg"


def with_driver(database_url: str, driver: str) -> URL:
    """The same URL with our driver, whatever driver (or none) the user wrote."""
    url = make_url(database_url)
    if url.get_backend_name() != "postgresql":
        raise ValueError(f"DATABASE_URL must be a PostgreSQL URL, not {url.get_backend_name()!r}")
    return url.set(drivername=driver)


def create_web_engine(
    database_url: str, *, pool_size: int, timeout_seconds: float = 5.0
) -> AsyncEngine:
    """Bounded waits everywhere: a database outage becomes a 503, never a hung request."""
    return create_async_engine(
        with_driver(database_url, ASYNC_DRIVER),
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_pre_ping=True,
        pool_timeout=timeout_seconds,
        connect_args={"timeout": timeout_seconds, "command_timeout": 30},
        # Error messages must not carry bound values: some are password verifiers.
        hide_parameters=True,
    )


async def _keep_connection(_: asyncpg.Connection) -> None:
    """Release without asyncpg's RESET ALL round trip: hot-path queries leave no session state."""


class HotPool:
    """asyncpg's pool behind a first-come, first-served gate.

    asyncpg hands a released connection to whichever request asks next, so a request woken for
    it often finds it taken and queues again: at 64 connections on a pool of 10, polls waited up
    to 3.8 s (p99 1.3 s, some past DB_TIMEOUT_SECONDS: 503). asyncio's Semaphore passes a freed
    slot to its longest waiter.
    """

    def __init__(self, pool: asyncpg.Pool, size: int) -> None:
        self._pool = pool
        self._turns = asyncio.Semaphore(size)

    @contextlib.asynccontextmanager
    async def acquire(self, *, wait_seconds: float) -> AsyncIterator[PoolConnectionProxy]:
        """A connection, waited for at most `wait_seconds` (then TimeoutError)."""
        if self._turns.locked():
            async with asyncio.timeout(wait_seconds):
                await self._turns.acquire()
        else:
            await self._turns.acquire()  # a free turn, taken at once: no timer to arm
        try:
            # A turn is a connection (the pool has as many as there are turns): at most a new
            # one is opened, within the pool's connect timeout. Without a timeout here, asyncpg
            # skips the task it would start per acquire to enforce one.
            async with self._pool.acquire() as connection:
                yield connection
        finally:
            self._turns.release()

    async def close(self) -> None:
        await self._pool.close()


async def create_hot_pool(database_url: str, *, size: int, timeout_seconds: float) -> HotPool:
    """A plain asyncpg pool for the queries every request makes; connects on first use, so the
    API starts (and answers 503) while the database is down."""
    dsn = with_driver(database_url, "postgresql").render_as_string(hide_password=False)
    pool = await asyncpg.create_pool(
        dsn,
        min_size=0,
        max_size=size,
        timeout=timeout_seconds,
        command_timeout=30,
        reset=_keep_connection,
        max_inactive_connection_lifetime=60,
    )
    return HotPool(pool, size)


def create_sync_engine(
    database_url: str,
    *,
    pool_size: int = 2,
    idle_in_transaction_seconds: int | None = None,
    pre_ping: bool = True,
) -> Engine:
    """A psycopg engine; workers pass `idle_in_transaction_seconds` to bound held row locks.

    Without `pre_ping` a checkout costs no `SELECT 1` round trip, and a connection the server
    closed meanwhile fails its first statement instead (SQLAlchemy then drops the whole pool):
    for callers that retry such a failure anyway, as worker tasks do."""
    options = (
        # Keepalives let the server notice a vanished worker host and release its row locks.
        "-c tcp_keepalives_idle=30 -c tcp_keepalives_interval=10 -c tcp_keepalives_count=3"
    )
    if idle_in_transaction_seconds is not None:
        options += f" -c idle_in_transaction_session_timeout={idle_in_transaction_seconds * 1000}"
    return create_engine(
        with_driver(database_url, SYNC_DRIVER),
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_pre_ping=pre_ping,
        connect_args={"connect_timeout": 5, "options": options},
        hide_parameters=True,
    )


def async_sessions(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


def sync_sessions(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


async def ping(session: AsyncSession) -> None:
    """One round trip to the database (readiness)."""
    await session.execute(select(literal(1)))
