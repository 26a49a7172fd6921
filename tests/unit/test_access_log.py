"""The access line `provisioner serve` writes for every request: one JSON object shaped like
every other line of ours, whether it is written directly (JSON) or through structlog."""

from __future__ import annotations

from typing import Any

import pytest
import structlog
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from service.settings import LogFormat
from service.web.access import access_logger_for
from service.web.keys import REQUEST_ID
from tests.log_lines import configured_logging, json_lines


async def _answer(request: web.Request) -> web.Response:
    request[REQUEST_ID] = "req-access-1"
    return web.json_response({"ok": True}, status=201)


async def _access_line(log_format: LogFormat, capsys: pytest.CaptureFixture[str]) -> str:
    app = web.Application()
    app.router.add_get("/things/{name}", _answer)
    with configured_logging("INFO", log_format):
        server = TestServer(app)
        await server.start_server(access_log_class=access_logger_for(log_format))
        async with TestClient(server) as client:
            assert (await client.get("/things/x%2Fy")).status == 201
        return capsys.readouterr().err


async def test_the_json_access_line_is_shaped_like_our_other_lines(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with configured_logging("INFO", "json"):
        structlog.get_logger("aiohttp.access").info("http.request", status=1)
    (reference,) = json_lines(capsys.readouterr().err)

    (line,) = [
        line
        for line in json_lines(await _access_line("json", capsys))
        if line["event"] == "http.request"
    ]

    assert list(line)[:4] == list(reference)[:4] == ["timestamp", "level", "logger", "event"]
    assert line["timestamp"].endswith("Z")
    assert len(line["timestamp"]) == len(reference["timestamp"])
    expected: dict[str, Any] = {
        "level": "info",
        "logger": "aiohttp.access",
        "method": "GET",
        "path": "/things/x/y",
        "status": 201,
        "request_id": "req-access-1",
    }
    assert {key: line[key] for key in expected} == expected
    assert isinstance(line["duration_ms"], float)


async def test_the_console_format_renders_the_access_line_through_structlog(
    capsys: pytest.CaptureFixture[str],
) -> None:
    text = await _access_line("console", capsys)
    (line,) = [line for line in text.splitlines() if "http.request" in line]
    assert "req-access-1" in line
    assert "/things/x/y" in line
    assert not line.startswith("{")


async def test_below_info_nothing_is_written(capsys: pytest.CaptureFixture[str]) -> None:
    app = web.Application()
    app.router.add_get("/things/{name}", _answer)
    with configured_logging("WARNING", "json"):
        server = TestServer(app)
        await server.start_server(access_log_class=access_logger_for("json"))
        async with TestClient(server) as client:
            assert (await client.get("/things/a")).status == 201
        assert "http.request" not in capsys.readouterr().err
