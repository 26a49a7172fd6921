"""Opaque ids taken from URLs: a result handle, an operation or token id."""

from __future__ import annotations

import functools
import secrets
import uuid


def parse_uuid(text: str) -> uuid.UUID | None:
    """The UUID `text` spells, or None: a malformed id is simply one that does not exist."""
    try:
        return uuid.UUID(text)
    except ValueError:
        return None


# A version-4 UUID's fixed bits: the version (0100) and the RFC 4122 variant (10).
_UUID4_FREE_BITS = ((1 << 128) - 1) ^ ((0xF000 << 64) | (0xC000 << 48))
_UUID4_FIXED_BITS = (0x4000 << 64) | (0x8000 << 48)


def uuid4_text(random_bits: int) -> str:
    """The text of the version-4 UUID made of the low 128 of `random_bits` (its version and
    variant bits overwritten): `str(uuid.UUID(int=..., version=4))` in a third of the time."""
    digits = f"{random_bits & _UUID4_FREE_BITS | _UUID4_FIXED_BITS:032x}"
    return f"{digits[:8]}-{digits[8:12]}-{digits[12:16]}-{digits[16:20]}-{digits[20:]}"


def random_text(alphabet: str, length: int) -> str:
    """`length` characters drawn uniformly from `alphabet` (at most 256 of them), reading the
    OS's random source once or twice rather than once per character as `secrets.choice` does."""
    table = _byte_table(alphabet)
    text = ""
    while len(text) < length:
        # Each random byte becomes a character, or nothing (see _byte_table), in one C call.
        text += secrets.token_bytes(2 * length).decode("latin-1").translate(table)
    return text[:length]


@functools.lru_cache(maxsize=16)
def _byte_table(alphabet: str) -> dict[int, str | None]:
    """Byte value -> its character; bytes past a whole multiple of the alphabet's size map to
    nothing (they are skipped, so that every character is equally likely)."""
    size = len(alphabet)
    unbiased_below = 256 - 256 % size
    return {byte: alphabet[byte % size] if byte < unbiased_below else None for byte in range(256)}
