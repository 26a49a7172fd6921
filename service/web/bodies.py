"""Reading JSON request bodies: every way a body can be unusable is a 400, never a 500."""

from __future__ import annotations

import json

from aiohttp import web

from service.domain.errors import InvalidArgument


def _has_nul(value: object) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(key) or _has_nul(item) for key, item in value.items())
    if isinstance(value, list):
        return any(_has_nul(item) for item in value)
    return False


async def read_body(request: web.Request, *, required: str) -> bytes:
    """The body's bytes; `required` says what an empty body should have been."""
    raw = await request.read()
    if not raw.strip():
        raise InvalidArgument(f"request body is required: {required}")
    return raw


def decode_json(raw: bytes) -> object:
    try:
        body = json.loads(raw)
        # PostgreSQL text cannot hold NUL characters.
        nul = _has_nul(body)
    except (ValueError, RecursionError):
        raise InvalidArgument("request body is not valid JSON (or nested too deeply)") from None
    if nul:
        raise InvalidArgument("request body must not contain NUL characters (\\u0000)")
    return body


def plain_object(raw: bytes) -> bool:
    """Whether `raw` may be validated straight from its bytes by a model: a JSON object that
    spells no NUL character (a model would take one; PostgreSQL could not store it). When not,
    `decode_json` says what is wrong, if anything."""
    return raw[:1] == b"{" and b"\\u0000" not in raw


async def read_json(request: web.Request, *, required: str) -> object:
    """The decoded body; `required` says what an empty body should have been."""
    return decode_json(await read_body(request, required=required))
