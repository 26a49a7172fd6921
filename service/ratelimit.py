"""Token buckets in Redis, shared by every process: per-token rate limits for the API, and the
pace of background work (purges) for the workers.

One atomic Lua script per call refills the bucket from Redis's own clock (so processes on
different machines agree) and takes tokens.
"""

from __future__ import annotations

import logging
import math

from redis import Redis as SyncRedis
from redis.asyncio import Redis
from redis.exceptions import RedisError

log = logging.getLogger(__name__)
KEY_PREFIX = "provisioner:ratelimit:"

# Refills the bucket at KEYS[1] from Redis's own clock (so processes on different machines
# agree); leaves `tokens` set for the rest of the script.
_REFILL = """
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1]) or burst
local at = tonumber(state[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - at) * rate)
"""
_STORE = """
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil((burst - tokens) / rate * 1000) + 1000)
"""
# Takes one token, or says how long until one is there (the request is refused meanwhile).
_TAKE = (
    _REFILL
    + """
local wait = 0
if tokens >= 1 then
  tokens = tokens - 1
else
  wait = (1 - tokens) / rate
end
"""
    + _STORE
    + "return tostring(wait)"
)
# Takes ARGV[3] tokens even when that leaves a debt; the caller waits the debt off first.
_RESERVE = (
    _REFILL
    + "tokens = tokens - tonumber(ARGV[3])"
    + _STORE
    + "return tostring(math.max(0, -tokens / rate))"
)


class RateLimiter:
    """`rate` requests per second with bursts of `burst`; a rate of 0 turns it off."""

    def __init__(self, redis: Redis, *, rate: float, burst: int) -> None:
        self._rate = rate
        self._burst = burst
        self._take = redis.register_script(_TAKE)

    @property
    def enabled(self) -> bool:
        return self._rate > 0

    async def wait_needed(self, key: str) -> int:
        """0 when the request may go ahead, else whole seconds until it may (Retry-After)."""
        if not self.enabled:
            return 0
        try:
            wait = float(await self._take(keys=[KEY_PREFIX + key], args=[self._rate, self._burst]))
        except (RedisError, OSError) as exc:
            # Fail open: an unreachable Redis must not take the API down with it.
            log.warning("rate limit not checked (Redis unavailable): %s", exc)
            return 0
        return math.ceil(wait) if wait > 0 else 0


class Pacer:
    """Paces background work across every worker: `rate` units per second, `burst` at once.

    A caller reserves the units it is about to do and sleeps off the debt first, so many
    workers together never go faster than `rate`; a rate of 0 turns it off.
    """

    def __init__(self, redis: SyncRedis, key: str, *, rate: float, burst: int) -> None:
        self._key = KEY_PREFIX + key
        self._rate = rate
        self._burst = burst
        self._reserve = redis.register_script(_RESERVE)

    def wait_needed(self, units: int) -> float:
        """Seconds to wait before doing `units` of work (0: go ahead)."""
        if self._rate <= 0:
            return 0.0
        try:
            return float(self._reserve(keys=[self._key], args=[self._rate, self._burst, units]))
        except (RedisError, OSError) as exc:
            log.warning("pace not kept (Redis unavailable): %s", exc)
            return 0.0
