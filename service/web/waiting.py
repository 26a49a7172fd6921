"""Holding a read until the operation is done or `wait` seconds pass."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from typing import TypeVar

from aiohttp import web

from service.web.keys import WAITERS
from service.web.query import parse_int
from service.web.waiters import MAX_WAIT_SECONDS

T = TypeVar("T")


def wait_seconds(params: dict[str, str]) -> int:
    return parse_int(params, "wait", low=0, high=MAX_WAIT_SECONDS, default=0)


async def read_waiting(
    request: web.Request,
    handle: str,
    seconds: int,
    read: Callable[[], Awaitable[T]],
    done: Callable[[T], bool],
) -> T:
    """`read()`; if not `done` and `seconds` > 0, read again once the operation is announced
    done or the time is up. Registered before the first read, so no announcement is missed."""
    if seconds <= 0:
        return await read()
    with request.app[WAITERS].watch(handle) as announced:
        first = await read()
        if done(first):
            return first
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.shield(announced), timeout=seconds)
    return await read()
