"""This API process's share of each token's rate-limit bucket: requests spend tokens taken from
the Redis bucket beforehand, so a busy token's requests are checked without a round trip.

A share is taken out of the bucket (never spent twice) and sized to the token's demand here, at
most `floor(rate * RECONCILE_SECONDS)` tokens; every RECONCILE_SECONDS the shares in use are
topped up and the idle ones given back, in one script call for all of them. A request finding its
share empty asks Redis at once (with the other requests in flight), as without shares.

Worst-case overshoot: tokens held in shares are out of the bucket while it refills, so in any
window of W seconds a token is let through at most `burst + rate * W + N * floor(rate *
RECONCILE_SECONDS)` times with N API processes (20/s, 2 processes: 4 requests above the
bucket's own limit). A request may be refused while other processes hold at most that many
tokens, and a refusal Redis gave is repeated here for at most RECONCILE_SECONDS.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

RECONCILE_SECONDS = 0.1


@dataclass
class _Share:
    tokens: float = 0.0  # taken from the bucket, not yet spent
    asked: int = 0  # asked of Redis beyond the requests' own token, not yet answered
    used: int = 0  # requests let through since the last reconciliation
    refused_until: float = 0.0  # Redis said no: refuse here until then...
    free_at: float = 0.0  # ...when the bucket has a token again


@dataclass(frozen=True)
class Reconciliation:
    """One share's part of a reconciliation: tokens asked for, tokens given back."""

    key: str
    want: int
    returned: float


class RateShares:
    def __init__(
        self,
        rate: float,
        *,
        interval: float = RECONCILE_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._clock = clock
        self._interval = interval
        self.cap = math.floor(rate * interval)  # the most tokens a share holds
        self._shares: dict[str, _Share] = {}

    def spend(self, key: str) -> float | None:
        """0.0: let through from the share; seconds: refused (Redis said so lately); None: ask
        Redis (`ask`, then `answered`)."""
        share = self._shares.get(key)
        if share is None:
            return None
        if share.tokens >= 1:
            share.tokens -= 1
            share.used += 1
            return 0.0
        now = self._clock()
        if now < share.refused_until:
            return share.free_at - now
        return None

    def ask(self, key: str) -> int:
        """Tokens to take with a request that found its share empty: its own, and what the
        share may hold for the requests that follow."""
        share = self._shares.setdefault(key, _Share())
        extra = max(0, min(self.cap, share.used) - math.floor(share.tokens) - share.asked)
        share.asked += extra
        return 1 + extra

    def answered(self, key: str, asked: int, granted: int, wait: float) -> float:
        """Redis's answer to `ask`; 0.0 when the request goes ahead, else seconds to wait."""
        share = self._shares.setdefault(key, _Share())
        share.asked = max(0, share.asked - (asked - 1))
        if granted < 1:
            now = self._clock()
            share.free_at = now + wait
            share.refused_until = now + min(wait, self._interval)
            return wait
        share.tokens += granted - 1
        share.used += 1
        share.refused_until = 0.0
        return 0.0

    def reconciliation(self) -> list[Reconciliation]:
        """What to ask of Redis now: top-ups for the shares used since the last one (sized to
        twice that use), and the tokens of the idle ones, which are forgotten."""
        wanted = []
        for key, share in list(self._shares.items()):
            if share.used == 0 and share.asked == 0 and self._clock() >= share.refused_until:
                del self._shares[key]
                if share.tokens > 0:
                    wanted.append(Reconciliation(key, 0, share.tokens))
                continue
            target = min(self.cap, 2 * share.used)
            want = max(0, target - math.floor(share.tokens) - share.asked)
            share.asked += want
            share.used = 0
            if want:
                wanted.append(Reconciliation(key, want, 0.0))
        return wanted

    def reconciled(self, wanted: list[Reconciliation], granted: list[int] | None) -> None:
        """Redis's answer (None: it could not be asked; nothing was taken)."""
        for item, given in zip(wanted, granted or [0] * len(wanted), strict=True):
            share = self._shares.get(item.key)
            if share is None or item.want == 0:
                continue
            share.asked = max(0, share.asked - item.want)
            share.tokens += given

    def held(self) -> list[Reconciliation]:
        """Every share's tokens, given back (when the process stops)."""
        held = [Reconciliation(k, 0, s.tokens) for k, s in self._shares.items() if s.tokens > 0]
        self._shares.clear()
        return held

    def __len__(self) -> int:
        return len(self._shares)
