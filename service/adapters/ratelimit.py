"""Token buckets in Redis, shared by every process: per-token rate limits for the API (the pace
of background work is `pacing`).

One atomic Lua script per call refills the buckets from Redis's own clock (so processes on
different machines agree) and takes tokens; each API process holds a share of a busy token's
bucket and checks the requests in flight together.
"""

from __future__ import annotations

import asyncio
import contextlib
import math

import structlog
from redis.asyncio import Redis
from redis.exceptions import RedisError

from service.adapters.coalesce import Coalescer
from service.adapters.logs import error_text
from service.adapters.rate_shares import RECONCILE_SECONDS, RateShares, Reconciliation

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
# For each of KEYS (a key repeats when requests of one API token go together), ARGV[2 + 2i]
# tokens given back, then up to ARGV[1 + 2i] taken (none when not even one is there); returns,
# for each, the tokens taken and the seconds until one is there (when none was taken).
_LEASE = (
    _BUCKETS
    + """
local buckets = {}
local answers = {}
for i, key in ipairs(KEYS) do
  local tokens = math.min(burst, (buckets[key] or refilled(key)) + tonumber(ARGV[2 + 2 * i]))
  local want = tonumber(ARGV[1 + 2 * i])
  local taken = 0
  local wait = 0
  if want > 0 then
    if tokens >= 1 then
      taken = math.min(math.floor(tokens), want)
      tokens = tokens - taken
    else
      wait = (1 - tokens) / rate
    end
  end
  buckets[key] = tokens
  answers[2 * i - 1] = taken
  answers[2 * i] = tostring(wait)
end
for key, tokens in pairs(buckets) do
  store(key, tokens)
end
return answers
"""
)
# Requests checked together in one script call: under load the limiter's Redis round trip (a
# sixth of an accepted create's CPU, one call per request) is shared by the requests in flight.
MAX_CHECKS_PER_CALL = 256
# A check that has not even gone to Redis after this long is let through, as when Redis is
# unreachable: a stalled Redis must not queue every request behind it.
CHECK_QUEUE_SECONDS = 1.0


class RateLimiter:
    """`rate` requests per second with bursts of `burst`; a rate of 0 turns it off.

    Requests spend this process's share of their token's bucket (service/adapters/rate_shares.py,
    where the worst-case overshoot is worked out), kept by a task that runs while any share is
    held (stopped by `aclose`).
    """

    def __init__(self, redis: Redis, *, rate: float, burst: int) -> None:
        self._rate = rate
        self._burst = burst
        self._lease = redis.register_script(_LEASE)
        self._shares = RateShares(rate)
        self._keeper: asyncio.Task[None] | None = None
        self._checks: Coalescer[tuple[str, int], tuple[int, float]] = Coalescer(
            self._ask_many,
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
        key = KEY_PREFIX + key
        wait = self._shares.spend(key)
        if wait is None:
            if self._keeper is None:
                self._keeper = asyncio.create_task(self._keep(), name="rate-shares")
            asked = self._shares.ask(key)
            granted, redis_wait = 0, 0.0
            try:
                granted, redis_wait = await self._checks.submit((key, asked))
            except (RedisError, OSError) as exc:
                # Fail open: an unreachable Redis must not take the API down with it.
                log.warning(
                    "rate_limit.unchecked", reason="Redis unavailable", error=error_text(exc)
                )
                granted = 1
            finally:  # also when the request is cancelled: what it asked is no longer awaited
                wait = self._shares.answered(key, asked, granted, redis_wait)
        return math.ceil(wait) if wait > 0 else 0

    async def aclose(self) -> None:
        """Stop keeping the shares and give their tokens back."""
        if self._keeper is not None:
            self._keeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._keeper
            self._keeper = None
        with contextlib.suppress(RedisError, OSError):
            await self._reconcile(self._shares.held())

    async def _keep(self) -> None:
        while True:
            await asyncio.sleep(RECONCILE_SECONDS)
            if not self._shares:  # every token idle: the next check starts it again
                self._keeper = None
                return
            wanted = self._shares.reconciliation()
            granted = None
            try:
                granted = await self._reconcile(wanted)
            except (RedisError, OSError) as exc:
                log.warning("rate_limit.unreconciled", error=error_text(exc))
            finally:
                self._shares.reconciled(wanted, granted)

    async def _reconcile(self, wanted: list[Reconciliation]) -> list[int]:
        if not wanted:
            return []
        answers = await self._call([(item.key, item.want, item.returned) for item in wanted])
        return [taken for taken, _ in answers]

    async def _ask_many(self, checks: list[tuple[str, int]]) -> list[tuple[int, float]]:
        return await self._call([(key, asked, 0.0) for key, asked in checks])

    async def _call(self, items: list[tuple[str, int, float]]) -> list[tuple[int, float]]:
        args: list[float] = [self._rate, self._burst]
        for _, want, returned in items:
            args += [want, returned]
        answers = await self._lease(keys=[key for key, _, _ in items], args=args)
        return [(int(answers[i]), float(answers[i + 1])) for i in range(0, len(answers), 2)]
