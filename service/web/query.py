"""Query-string parsing as existing clients send it: a raw `+` is a plus sign."""

from __future__ import annotations

import re
from urllib.parse import unquote

from aiohttp import web

from service.domain.errors import InvalidArgument

_INTEGER = re.compile(r"[+-]?[0-9]{1,18}")


def query_params(request: web.Request) -> dict[str, str]:
    return parse_query(request.rel_url.raw_query_string)


def parse_query(raw: str) -> dict[str, str]:
    """A raw query string decoded with plain percent-decoding (the first value of each key)."""
    params: dict[str, str] = {}
    for part in raw.split("&"):
        if not part:
            continue
        key, _, value = part.partition("=")
        name, decoded = unquote(key), unquote(value)
        if "\x00" in decoded:
            raise InvalidArgument(f"{name[:40]} must not contain a NUL character")
        params.setdefault(name, decoded)
    return params


def parse_bool(params: dict[str, str], name: str, *, default: bool) -> bool:
    value = params.get(name)
    if value is None:
        return default
    lowered = value.lower()
    if lowered not in ("true", "false"):
        raise InvalidArgument(f"{name} must be true or false, got {value!r}")
    return lowered == "true"


def parse_int(
    params: dict[str, str], name: str, *, low: int, high: int, default: int | None = None
) -> int:
    value = params.get(name)
    if value is None:
        if default is None:
            raise InvalidArgument(f"{name} is required (an integer from {low} to {high})")
        return default
    if not _INTEGER.fullmatch(value):
        raise InvalidArgument(f"{name} must be an integer, got {value[:40]!r}")
    number = int(value)
    if not low <= number <= high:
        raise InvalidArgument(f"{name} must be between {low} and {high}, got {number}")
    return number
