"""The pace of background work (purges) across every worker: a token bucket in Redis whose rate
yields to foreground work.

Each API process publishes how much slower than its own baseline its foreground probe answers
(`service/adapters/foreground.py`). Once a second at most, whichever worker reserves units next
adjusts the shared rate, AIMD: halved (not below `min_rate`) while any API process is slower than
`yield_ratio` times its baseline, else raised by a tenth of `rate` (not above it). With no API
process publishing, or all of them near their baseline, the work goes at `rate`.
"""

from __future__ import annotations

import structlog
from redis import Redis
from redis.exceptions import RedisError

from service.adapters.foreground import signal_keys
from service.adapters.logs import error_text

log = structlog.get_logger(__name__)
KEY_PREFIX = "provisioner:pace:"
# A published ratio older than this (its API process stopped or cannot reach Redis) is ignored.
SIGNAL_SECONDS = 3.0
# How long the API processes count background work as running after a worker's last reservation.
ACTIVE_SECONDS = 5.0
# The rate is adjusted at most this often: the API processes publish once a second.
ADJUST_SECONDS = 1.0
# A rate the signal lowered climbs back to the ceiling in this many adjustments.
RECOVERY_STEPS = 10

# KEYS: the bucket, the API processes' signals, the flag telling them background work runs.
# ARGV: ceiling rate, burst, units to take, floor rate, yield ratio, seconds per adjustment,
# seconds a signal stays fresh, milliseconds the flag lives. Takes the units even when that leaves
# a debt; returns the seconds to wait the debt off and the rate now in force.
_RESERVE = """
local ceiling = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local floor = math.min(tonumber(ARGV[4]), ceiling)
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at', 'rate', 'adjusted')
local rate = math.max(floor, math.min(ceiling, tonumber(state[3]) or ceiling))
local adjusted = tonumber(state[4]) or 0
local tokens = tonumber(state[1]) or burst
local at = tonumber(state[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - at) * rate)
if now - adjusted >= tonumber(ARGV[6]) then
  local worst = 0
  local signals = redis.call('HGETALL', KEYS[2])
  for i = 1, #signals, 2 do
    local ratio, published = string.match(signals[i + 1], '^([^|]+)|(.+)$')
    if published and now - tonumber(published) <= tonumber(ARGV[7]) then
      worst = math.max(worst, tonumber(ratio))
    else
      redis.call('HDEL', KEYS[2], signals[i])
    end
  end
  if worst > tonumber(ARGV[5]) then
    rate = math.max(floor, rate / 2)
  else
    rate = math.min(ceiling, rate + ceiling / tonumber(ARGV[9]))
  end
  adjusted = now
end
tokens = tokens - tonumber(ARGV[3])
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now),
  'rate', tostring(rate), 'adjusted', tostring(adjusted))
redis.call('PEXPIRE', KEYS[1], math.ceil((burst - tokens) / rate * 1000) + 10000)
redis.call('SET', KEYS[3], '1', 'PX', ARGV[8])
return {tostring(math.max(0, -tokens / rate)), tostring(rate)}
"""


class Pacer:
    """Paces background work across every worker: at most `rate` units per second, `burst` at
    once, down to `min_rate` while the API processes of `namespace` (the deployment's queue
    name) are slower than `yield_ratio` times their baseline.

    A caller reserves the units it is about to do and sleeps off the debt first, so many
    workers together never go faster than the rate in force; a rate of 0 turns it off.
    """

    def __init__(
        self,
        redis: Redis,
        key: str,
        *,
        rate: float,
        burst: int,
        min_rate: float | None = None,
        yield_ratio: float = 1.5,
        namespace: str = "",
    ) -> None:
        self._keys = [KEY_PREFIX + key, *signal_keys(namespace)]
        self._rate = rate
        self._burst = burst
        self._min_rate = rate if min_rate is None else min_rate
        self._yield_ratio = yield_ratio
        self._reserve = redis.register_script(_RESERVE)
        self.rate_in_force = rate

    def wait_needed(self, units: int) -> float:
        """Seconds to wait before doing `units` of work (0: go ahead)."""
        if self._rate <= 0:
            return 0.0
        args = [
            *(self._rate, self._burst, units, self._min_rate, self._yield_ratio),
            *(ADJUST_SECONDS, SIGNAL_SECONDS, int(ACTIVE_SECONDS * 1000), RECOVERY_STEPS),
        ]
        try:
            wait, rate = self._reserve(keys=self._keys, args=args)
        except (RedisError, OSError) as exc:
            log.warning("pace.unkept", reason="Redis unavailable", error=error_text(exc))
            return 0.0
        self.rate_in_force = float(rate)
        return float(wait)
