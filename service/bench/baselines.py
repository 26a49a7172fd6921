"""Same-run ceilings of this stack: minimal aiohttp apps to compare the API with.

`hello`: one JSON answer per request, nothing else. `insert-push`: one durable INSERT
(asyncpg) and one Redis LPUSH per request, then 202 — the least an accept path must do.
Both run on the same event loop (uvloop) and with the same access logging (none) as the API.

Run as `python -m service.bench.baselines hello|insert-push PORT [DATABASE_URL REDIS_URL]`.
"""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator

import asyncpg
import uvloop
from aiohttp import web
from redis.asyncio import Redis

TABLE = "bench_baseline_events"
QUEUE = "bench-baseline"
_PG = web.AppKey("pg", asyncpg.Pool)
_REDIS = web.AppKey("redis", Redis)


async def _hello(_: web.Request) -> web.Response:
    return web.json_response({"message": "hello"})


def hello_app() -> web.Application:
    app = web.Application()
    app.router.add_get("/", _hello)
    return app


async def _insert_push(request: web.Request) -> web.Response:
    payload = await request.read()
    row_id = await request.app[_PG].fetchval(
        f"INSERT INTO {TABLE} (payload) VALUES ($1) RETURNING id",  # noqa: S608 - constant
        payload.decode(),
    )
    await request.app[_REDIS].lpush(QUEUE, str(row_id))
    return web.json_response({"id": row_id}, status=202)


def insert_push_app(database_url: str, redis_url: str) -> web.Application:
    async def resources(app: web.Application) -> AsyncIterator[None]:
        pool = await asyncpg.create_pool(database_url, min_size=10, max_size=10)
        await pool.execute(
            f"CREATE TABLE IF NOT EXISTS {TABLE} (id bigserial PRIMARY KEY, payload jsonb "
            "NOT NULL, created_at timestamptz NOT NULL DEFAULT now())"
        )
        redis = Redis.from_url(redis_url)
        app[_PG], app[_REDIS] = pool, redis
        yield
        await redis.delete(QUEUE)
        await pool.execute(f"DROP TABLE IF EXISTS {TABLE}")
        await pool.close()
        await redis.aclose()

    app = web.Application()
    app.cleanup_ctx.append(resources)
    app.router.add_post("/", _insert_push)
    return app


def main() -> None:
    kind, port = sys.argv[1], int(sys.argv[2])
    app = hello_app() if kind == "hello" else insert_push_app(sys.argv[3], sys.argv[4])
    web.run_app(
        app,
        host="127.0.0.1",
        port=port,
        access_log=None,
        print=None,
        loop=uvloop.new_event_loop(),
    )


if __name__ == "__main__":
    main()
