"""Typed application and request keys shared by the web modules."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from service.adapters.broker import AsyncPublisher
from service.adapters.metrics import ApiMetrics
from service.adapters.ratelimit import RateLimiter
from service.adapters.token_cache import TokenCache
from service.domain.passwords import PasswordSeal
from service.settings import Settings
from service.store.db import HotPool
from service.web.create_batches import CreateBatcher
from service.web.listener import NotificationListener
from service.web.result_peeks import ResultPeeks
from service.web.waiters import OperationWaiters

SETTINGS = web.AppKey("settings", Settings)
SESSIONS = web.AppKey("sessions", async_sessionmaker[AsyncSession])
# Plain asyncpg for the per-request hot path (token lookup): no ORM, no session, one round trip.
POOL = web.AppKey("pool", HotPool)
REDIS = web.AppKey("redis", Redis)
PUBLISHER = web.AppKey("publisher", AsyncPublisher)
CREATES = web.AppKey("creates", CreateBatcher)
PEEKS = web.AppKey("peeks", ResultPeeks)
SEAL = web.AppKey("seal", PasswordSeal)
LISTENER = web.AppKey("listener", NotificationListener)
WAITERS = web.AppKey("waiters", OperationWaiters)
TOKEN_CACHE = web.AppKey("token_cache", TokenCache)
METRICS = web.AppKey("metrics", ApiMetrics)
RATE_LIMITER = web.AppKey("rate_limiter", RateLimiter)
# organization id -> (monotonic time, report): /api/v2/queues answers from it for a moment.
QUEUE_REPORTS = web.AppKey("queue_reports", dict[int, tuple[float, dict[str, Any]]])
REQUEST_ID = web.RequestKey("request_id", str)
