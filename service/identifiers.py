"""Opaque ids taken from URLs: a result handle, an operation or token id."""

from __future__ import annotations

import uuid


def parse_uuid(text: str) -> uuid.UUID | None:
    """The UUID `text` spells, or None: a malformed id is simply one that does not exist."""
    try:
        return uuid.UUID(text)
    except ValueError:
        return None
