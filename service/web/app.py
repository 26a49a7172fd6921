"""The aiohttp application factory; each resource is opened and closed by one cleanup context."""

from __future__ import annotations

from collections.abc import AsyncIterator

from aiohttp import web
from redis.asyncio import Redis

from service.adapters.broker import AsyncPublisher, create_celery, require_redis_url
from service.adapters.metrics import create_api_metrics
from service.adapters.ratelimit import RateLimiter
from service.adapters.secret_key import secret_key
from service.adapters.token_cache import TokenCache
from service.domain.passwords import PasswordSeal
from service.settings import Settings
from service.store.db import async_sessions, create_hot_pool, create_web_engine
from service.store.notifications import DONE_CHANNEL, TOKEN_CHANNEL
from service.web.console import setup_console
from service.web.create_batches import CreateBatcher
from service.web.foreground_probe import foreground_probe
from service.web.keys import (
    CREATES,
    LISTENER,
    METRICS,
    PEEKS,
    POOL,
    PUBLISHER,
    QUEUE_REPORTS,
    RATE_LIMITER,
    REDIS,
    SEAL,
    SESSIONS,
    SETTINGS,
    TOKEN_CACHE,
    WAITERS,
)
from service.web.listener import NotificationListener
from service.web.metrics import observe
from service.web.middlewares import request_id_and_errors
from service.web.result_peeks import ResultPeeks
from service.web.routes import add_routes
from service.web.waiters import OperationWaiters

MAX_BODY_BYTES = 1024 * 1024


def _require_database_url(settings: Settings) -> str:
    if not settings.database_url:
        raise RuntimeError(
            "DATABASE_URL is not set (run `provisioner up` for the embedded default)"
        )
    return settings.database_url


async def _database(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    engine = create_web_engine(
        _require_database_url(settings),
        pool_size=settings.db_pool_size,
        timeout_seconds=settings.db_timeout_seconds,
    )
    app[SESSIONS] = async_sessions(engine)
    app[POOL] = await create_hot_pool(
        _require_database_url(settings),
        size=settings.db_pool_size,
        timeout_seconds=settings.db_timeout_seconds,
    )
    app[PEEKS] = ResultPeeks(app[POOL], wait_seconds=settings.db_timeout_seconds)
    yield
    await app[POOL].close()
    await engine.dispose()


async def _broker(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    redis = Redis.from_url(require_redis_url(settings), socket_connect_timeout=2, socket_timeout=5)
    app[REDIS] = redis
    app[PUBLISHER] = AsyncPublisher(create_celery(settings), redis, settings.queue_name)
    app[CREATES] = CreateBatcher(
        app[POOL],
        app[PUBLISHER],
        wait_seconds=settings.db_timeout_seconds,
        on_batch=app[METRICS].create_batch_size.observe,
    )
    app[RATE_LIMITER] = RateLimiter(
        redis, rate=settings.rate_limit_per_second, burst=settings.rate_limit_burst
    )
    yield
    await app[RATE_LIMITER].aclose()
    await redis.aclose()


async def _notifications(app: web.Application) -> AsyncIterator[None]:
    """One LISTEN connection: operations announced done, tokens changed."""
    listener = app[LISTENER] = NotificationListener(_require_database_url(app[SETTINGS]))
    # Before the waiters: a waiter woken by a NOTIFY reads after the table has dropped the entry.
    listener.subscribe(DONE_CHANNEL, app[PEEKS].states.announced, app[PEEKS].states.listening)
    app[WAITERS] = OperationWaiters(listener)
    listener.subscribe(TOKEN_CHANNEL, app[TOKEN_CACHE].changed, app[TOKEN_CACHE].listening)
    await listener.start()
    yield
    await listener.stop()


def create_app(settings: Settings) -> web.Application:
    app = web.Application(
        middlewares=[observe, request_id_and_errors], client_max_size=MAX_BODY_BYTES
    )
    app[METRICS] = create_api_metrics()
    app[SETTINGS] = settings
    app[SEAL] = PasswordSeal(secret_key(settings))
    app[QUEUE_REPORTS] = {}
    app[TOKEN_CACHE] = TokenCache(settings.token_cache_seconds)
    app.cleanup_ctx.extend([_database, _broker, _notifications, foreground_probe])
    setup_console(app)
    add_routes(app)
    return app
