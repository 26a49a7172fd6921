"""Reports that must answer in time: past their deadline the caller gets 503 `unavailable`."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from service.domain.errors import Unavailable

RETRY_AFTER_SECONDS = 5


@contextlib.asynccontextmanager
async def answer_within(seconds: float, what: str) -> AsyncIterator[None]:
    """Run the block within `seconds`, else answer 503 naming `what` (e.g. "the queue report")."""
    try:
        async with asyncio.timeout(seconds):
            yield
    except TimeoutError:
        raise Unavailable(
            f"{what} took longer than {seconds:g} s",
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        ) from None
