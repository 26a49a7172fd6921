"""Per-token rate limits: a token bucket in Redis, shared by every API process.

One atomic Lua script per request refills the bucket from Redis's own clock (so API processes
on different machines agree) and takes a token, or says how long until one is there.
"""

from __future__ import annotations

import logging
import math

from redis.asyncio import Redis
from redis.exceptions import RedisError

log = logging.getLogger(__name__)
KEY_PREFIX = "provisioner:ratelimit:"

_TAKE = """
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1]) or burst
local at = tonumber(state[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - at) * rate)
local wait = 0
if tokens >= 1 then
  tokens = tokens - 1
else
  wait = (1 - tokens) / rate
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil(burst / rate * 1000) + 1000)
return tostring(wait)
"""


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
