"""Opaque ids taken from URLs: a result handle, an operation or token id."""

from __future__ import annotations

import secrets
import uuid


def parse_uuid(text: str) -> uuid.UUID | None:
    """The UUID `text` spells, or None: a malformed id is simply one that does not exist."""
    try:
        return uuid.UUID(text)
    except ValueError:
        return None


def random_text(alphabet: str, length: int) -> str:
    """`length` characters drawn uniformly from `alphabet` (at most 256 of them), reading the
    OS's random source once or twice rather than once per character as `secrets.choice` does."""
    size = len(alphabet)
    unbiased_below = 256 - 256 % size  # bytes past a whole multiple of `size` are skipped
    drawn: list[str] = []
    while len(drawn) < length:
        drawn.extend(
            alphabet[b % size] for b in secrets.token_bytes(2 * length) if b < unbiased_below
        )
    return "".join(drawn[:length])
