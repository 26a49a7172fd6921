"""Token buckets in Redis, shared by every process: per-token rate limits for the API (the pace
of background work is `pacing`).

One atomic Lua script per call refills the buckets from Redis's own clock (so processes on
different machines agree) and takes tokens; the API checks the requests in flight together.
"""

from __future__ import annotations

import math

import structlog
from redis.asyncio import Redis
from redis.exceptions import RedisError

from service.adapters.coalesce import Coalescer
from service.adapters.logs import error_text

log = structlog.get_logger(__name__)
KEY_PREFIX = "provisioner:ratelimit:"

# A bucket's tokens, refilled from Redis's own clock (so processes on different machines
# agree), and storing them back; ARGV[1] is the rate per second, ARGV[2] the burst.
_BUCKETS = """
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
local function refilled(key)
  local state = redis.call('HMGET', key, 'tokens', 'at')
  local tokens = tonumber(state[1]) or burst
  local at = tonumber(state[2]) or now
  return math.min(burst, tokens + math.max(0, now - at) * rate)
end
local function store(key, tokens)
  redis.call('HSET', key, 'tokens', tostring(tokens), 'at', tostring(now))
  redis.call('PEXPIRE', key, math.ceil((burst - tokens) / rate * 1000) + 1000)
end
"""
# One token from each of KEYS, in order (a key repeats when one API token sent several requests
# at once); for each, 0 or the seconds until a token is there (that request is refused).
_TAKE = (
    _BUCKETS
    + """
local buckets = {}
local waits = {}
for i, key in ipairs(KEYS) do
  local tokens = buckets[key] or refilled(key)
  if tokens >= 1 then
    tokens = tokens - 1
    waits[i] = '0'
  else
    waits[i] = tostring((1 - tokens) / rate)
  end
  buckets[key] = tokens
end
for key, tokens in pairs(buckets) do
  store(key, tokens)
end
return waits
"""
)
# Requests checked together in one script call: under load the limiter's Redis round trip (a
# sixth of an accepted create's CPU, one call per request) is shared by the requests in flight.
MAX_CHECKS_PER_CALL = 256
# A check that has not even gone to Redis after this long is let through, as when Redis is
# unreachable: a stalled Redis must not queue every request behind it.
CHECK_QUEUE_SECONDS = 1.0


class RateLimiter:
    """`rate` requests per second with bursts of `burst`; a rate of 0 turns it off."""

    def __init__(self, redis: Redis, *, rate: float, burst: int) -> None:
        self._rate = rate
        self._burst = burst
        self._take = redis.register_script(_TAKE)
        self._checks: Coalescer[str, float] = Coalescer(
            self._take_many,
            max_batch=MAX_CHECKS_PER_CALL,
            max_in_flight=1,
            name="rate-limit-check",
            queue_seconds=CHECK_QUEUE_SECONDS,
        )

    @property
    def enabled(self) -> bool:
        return self._rate > 0

    async def wait_needed(self, key: str) -> int:
        """0 when the request may go ahead, else whole seconds until it may (Retry-After)."""
        if not self.enabled:
            return 0
        try:
            wait = await self._checks.submit(KEY_PREFIX + key)
        except (RedisError, OSError) as exc:
            # Fail open: an unreachable Redis must not take the API down with it.
            log.warning("rate_limit.unchecked", reason="Redis unavailable", error=error_text(exc))
            return 0
        return math.ceil(wait) if wait > 0 else 0

    async def _take_many(self, keys: list[str]) -> list[float]:
        waits = await self._take(keys=keys, args=[self._rate, self._burst])
        return [float(wait) for wait in waits]
