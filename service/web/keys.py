"""Typed application and request keys shared by the web modules."""

from __future__ import annotations

from typing import Any

import asyncpg
from aiohttp import web
from celery import Celery
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from service.broker import AsyncPublisher
from service.credentials import PasswordSeal
from service.metrics import ApiMetrics
from service.ratelimit import RateLimiter
from service.settings import Settings
from service.web.waiters import OperationWaiters

SETTINGS = web.AppKey("settings", Settings)
SESSIONS = web.AppKey("sessions", async_sessionmaker[AsyncSession])
# Plain asyncpg for the per-request hot path (token lookup): no ORM, no session, one round trip.
POOL = web.AppKey("pool", asyncpg.Pool)
REDIS = web.AppKey("redis", Redis)
CELERY = web.AppKey("celery", Celery)
PUBLISHER = web.AppKey("publisher", AsyncPublisher)
SEAL = web.AppKey("seal", PasswordSeal)
WAITERS = web.AppKey("waiters", OperationWaiters)
# organization id -> (monotonic time, report): /api/v2/queues answers from it for a moment.
METRICS = web.AppKey("metrics", ApiMetrics)
RATE_LIMITER = web.AppKey("rate_limiter", RateLimiter)
QUEUE_REPORTS = web.AppKey("queue_reports", dict[int, tuple[float, dict[str, Any]]])
REQUEST_ID = web.RequestKey("request_id", str)
