"""Opaque page cursors: a position written as unpadded URL-safe base64, and read back."""

from __future__ import annotations

import base64


def wrap(position: str) -> str:
    return base64.urlsafe_b64encode(position.encode()).decode().rstrip("=")


def unwrap(cursor: str) -> str:
    """The position `wrap` wrote; ValueError (UnicodeDecodeError among them) for anything else."""
    return base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
