"""Bearer-token authentication (both header forms existing clients send) and role checks."""

from __future__ import annotations

import re

from aiohttp import web

from service.adapters.token_cache import TokenCache
from service.domain.errors import PermissionDenied, RateLimited, Unauthenticated
from service.domain.roles import Permission, allows
from service.domain.tokens import Principal, hash_token
from service.store.db import HotPool
from service.store.tokens import find_principal
from service.web.keys import POOL, RATE_LIMITER, SETTINGS, TOKEN_CACHE

_BEARER = re.compile(r"Bearer\s+(\S+)\s*", re.IGNORECASE)
_SNOWFLAKE_TOKEN = re.compile(r'Snowflake\s+Token\s*=\s*"([^"]+)"\s*', re.IGNORECASE)
_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="account-provisioner"'}


def token_from_header(value: str | None) -> str | None:
    """The token in `Bearer <token>` or `Snowflake Token="<token>"`, else None."""
    if not value:
        return None
    for pattern in (_BEARER, _SNOWFLAKE_TOKEN):
        match = pattern.fullmatch(value.strip())
        if match:
            return match.group(1)
    return None


async def authenticate(
    pool: HotPool, token: str, *, acquire_seconds: float, cache: TokenCache
) -> Principal | None:
    """The principal a token stands for, or None when it is unknown, revoked or expired.

    Every request asks this: from the cache when the token was seen lately (see
    service/adapters/token_cache.py), else from the database. Unknown tokens are not cached, so
    a newly issued one works at once.
    """
    token_hash = hash_token(token)
    if (cached := cache.get(token_hash)) is not None:
        return cached
    generation = cache.generation
    found = await find_principal(pool, token_hash, acquire_seconds=acquire_seconds)
    if found is None:
        return None
    principal, expires_at = found
    cache.put(token_hash, principal, expires_at, generation=generation)
    return principal


async def authorize(request: web.Request, permission: Permission) -> Principal:
    token = token_from_header(request.headers.get("Authorization"))
    if token is None:
        raise Unauthenticated(
            'missing or malformed Authorization header (use "Bearer <token>")', headers=_CHALLENGE
        )
    timeout = request.app[SETTINGS].db_timeout_seconds
    principal = await authenticate(
        request.app[POOL], token, acquire_seconds=timeout, cache=request.app[TOKEN_CACHE]
    )
    if principal is None:
        raise Unauthenticated("the token is unknown, revoked or expired", headers=_CHALLENGE)
    wait = await request.app[RATE_LIMITER].wait_needed(principal.token_id)
    if wait:
        raise RateLimited(
            f"too many requests for this token; retry in {wait} s",
            headers={"Retry-After": str(wait)},
        )
    if not allows(principal.role, permission):
        raise PermissionDenied(
            f"role {principal.role.value} may not {permission.value.replace('_', ' ')}"
        )
    return principal
