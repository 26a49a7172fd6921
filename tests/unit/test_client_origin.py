"""The CLI's token goes to the API's origin and nowhere else: not along a redirect to another
server, not to an absolute `Location` or `result_location` on another server."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from service.client.follow import claim_credentials
from service.client.http import ApiClient, ForeignOrigin, origin
from service.client.render import SUCCEEDED

TOKEN = "secret-token-of-the-cli"
ServerFactory = Callable[..., Any]


async def _servers(aiohttp_server: ServerFactory) -> tuple[TestServer, TestServer, list[str]]:
    """The API (`api`) and another server (`elsewhere`) that notes every Authorization header."""
    seen: list[str] = []

    async def note(request: web.Request) -> web.Response:
        seen.append(request.headers.get("Authorization", ""))
        return web.json_response({"stolen": True})

    other = web.Application()
    other.router.add_route("*", "/{tail:.*}", note)
    elsewhere = await aiohttp_server(other)
    away = f"http://127.0.0.1:{elsewhere.port}/steal"

    async def redirect_away(_: web.Request) -> web.Response:
        raise web.HTTPFound(away)

    async def redirect_home(_: web.Request) -> web.Response:
        raise web.HTTPTemporaryRedirect("/api/v2/echo")

    async def echo(request: web.Request) -> web.Response:
        return web.json_response({"authorization": request.headers.get("Authorization")})

    async def operation(_: web.Request) -> web.Response:
        body = {"state": SUCCEEDED, "result": {"credentials": {}}, "result_location": away}
        return web.json_response(body)

    app = web.Application()
    app.router.add_get("/api/v2/accounts", redirect_away)
    app.router.add_get("/api/v2/home", redirect_home)
    app.router.add_get("/api/v2/echo", echo)
    app.router.add_get("/api/v2/operations/x", operation)
    api = await aiohttp_server(app)
    return api, elsewhere, seen


@dataclass(frozen=True)
class Setup:
    client: ApiClient  # configured with the API's URL
    api_port: int
    elsewhere_port: int
    seen: list[str]  # the Authorization headers the other server received


@pytest.fixture
async def setup(aiohttp_server: ServerFactory) -> Setup:
    api, elsewhere, seen = await _servers(aiohttp_server)
    client = ApiClient(f"http://127.0.0.1:{api.port}/", TOKEN)
    return Setup(client, int(api.port or 0), int(elsewhere.port or 0), seen)


async def test_a_redirect_to_another_origin_is_refused_and_never_sees_the_token(
    setup: Setup,
) -> None:
    with pytest.raises(ForeignOrigin, match="refusing to send the API token"):
        await asyncio.to_thread(setup.client.get, "/api/v2/accounts")
    assert setup.seen == []


async def test_a_location_on_another_origin_is_never_polled_with_the_token(setup: Setup) -> None:
    client = setup.client
    operation = await asyncio.to_thread(client.get, "/api/v2/operations/x")
    with pytest.raises(ForeignOrigin):
        await asyncio.to_thread(claim_credentials, client, operation)
    with pytest.raises(ForeignOrigin):
        await asyncio.to_thread(client.get, f"http://127.0.0.1:{setup.elsewhere_port}/steal")
    with pytest.raises(ForeignOrigin):  # the same host under another scheme is another origin
        await asyncio.to_thread(client.get, f"https://127.0.0.1:{setup.api_port}/api/v2/echo")
    assert setup.seen == []


async def test_a_redirect_within_the_api_is_followed_with_the_token(setup: Setup) -> None:
    answer = await asyncio.to_thread(setup.client.get, "/api/v2/home")
    assert answer == {"authorization": f"Bearer {TOKEN}"}
    assert setup.seen == []


def test_origins_spell_out_default_ports_and_ignore_case() -> None:
    assert origin("HTTPS://API.example/v2") == origin("https://api.example:443/other")
    assert origin("http://api.example") != origin("http://api.example:8080")
    assert origin("http://api.example") != origin("https://api.example")
