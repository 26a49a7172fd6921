"""Tokens already looked up, kept in the API process for a short while.

Every request authenticates; reading the token's row each time is a database round trip per
request. A cached principal is dropped when its row changes (a trigger NOTIFYs the token's hash:
revocation, expiry moved, deletion), after `ttl` seconds at most, and all at once whenever the
LISTEN connection is lost — while it is down nothing is cached, since a change would go unseen.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from service.domain.tokens import Principal

MAX_ENTRIES = 10_000


@dataclass(frozen=True)
class _Entry:
    principal: Principal
    token_expires_at: datetime | None
    cached_until: float


class TokenCache:
    """Principals by token hash; only trusted while `listening` (set by the LISTEN connection)."""

    def __init__(self, ttl: float, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._ttl = ttl
        self._clock = clock
        self._entries: dict[str, _Entry] = {}
        self._listening = False
        # Bumped by every invalidation: a lookup that began before one does not store its row,
        # which may have been read before the change it was told about.
        self.generation = 0

    def get(self, token_hash: str) -> Principal | None:
        entry = self._entries.get(token_hash)
        if entry is None:
            return None
        expired = entry.token_expires_at is not None and entry.token_expires_at <= datetime.now(UTC)
        if expired or entry.cached_until <= self._clock():
            del self._entries[token_hash]
            return None
        return entry.principal

    def put(
        self,
        token_hash: str,
        principal: Principal,
        token_expires_at: datetime | None,
        *,
        generation: int,
    ) -> None:
        """Keep a principal read from the database while generation `generation` was current."""
        if not self._listening or self._ttl <= 0 or generation != self.generation:
            return
        if len(self._entries) >= MAX_ENTRIES:
            del self._entries[next(iter(self._entries))]  # the oldest entry
        self._entries[token_hash] = _Entry(principal, token_expires_at, self._clock() + self._ttl)

    def changed(self, token_hash: str) -> None:
        """A token's row changed (a NOTIFY on store.notifications.TOKEN_CHANNEL)."""
        self.generation += 1
        self._entries.pop(token_hash, None)

    def listening(self, listening: bool) -> None:
        """The LISTEN connection came up or went down: either way, start from nothing."""
        self.generation += 1
        self._listening = listening
        self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)
