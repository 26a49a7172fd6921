"""Structured logs: the worker logs each state change with the operation's id; the API stamps
every line of a request with its id."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest
from aiohttp.test_utils import TestServer

from service.settings import Settings
from service.web.access import AccessLogger
from service.web.app import create_app
from service.web.middlewares import REQUEST_ID_HEADER
from tests.conftest import ClientFactory, Tenant
from tests.integration.api import (
    Client,
    accept_create,
    accepted_location,
    account_body,
    wait_result,
)
from tests.log_lines import configured_logging, json_lines
from tests.processes import ServiceProcess

LOG_TIMEOUT_SECONDS = 10.0


def handle_of(location: str) -> str:
    return location.rsplit("/", 1)[1]


async def operation_lines(
    worker: ServiceProcess, handle: str, last_event: str
) -> list[dict[str, Any]]:
    """The worker's JSON lines about one operation, once `last_event` is among them."""
    deadline = time.monotonic() + LOG_TIMEOUT_SECONDS
    while True:
        lines = [line for line in json_lines(worker.log()) if line.get("operation_id") == handle]
        if any(line["event"] == last_event for line in lines):
            return lines
        if time.monotonic() > deadline:
            raise AssertionError(f"no {last_event} line for {handle}: {lines}")
        await asyncio.sleep(0.1)


def state_changes(lines: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(line["event"], line["state"]) for line in lines if "state" in line]


async def test_the_worker_logs_running_and_succeeded_with_the_operation_id(
    client: Client, tenant: Tenant, worker: ServiceProcess
) -> None:
    location = await accept_create(client, tenant, "logged")
    status, _ = await wait_result(client, location, tenant.headers())
    assert status == 200
    lines = await operation_lines(worker, handle_of(location), "operation.succeeded")
    assert state_changes(lines) == [
        ("operation.running", "running"),
        ("operation.succeeded", "succeeded"),
    ]
    for line in lines:
        if "state" in line:
            assert (line["kind"], line["account"]) == ("create", "LOGGED")
            assert line["logger"] == "workers.execute"
            assert {"timestamp", "level"} <= set(line)


async def test_a_failed_operation_is_logged_once_with_its_reason(
    client: Client, tenant: Tenant, worker: ServiceProcess
) -> None:
    location = await accept_create(client, tenant, "FAIL_logged")
    status, _ = await wait_result(client, location, tenant.headers())
    assert status != 200
    lines = await operation_lines(worker, handle_of(location), "operation.failed")
    assert state_changes(lines) == [
        ("operation.running", "running"),
        ("operation.failed", "failed"),
    ]
    (failed,) = (line for line in lines if line["event"] == "operation.failed")
    assert failed["level"] == "warning"
    assert "injected failure" in failed["reason"]


async def test_every_api_line_of_a_request_carries_its_request_id(
    aiohttp_client: ClientFactory,
    settings: Settings,
    tenant: Tenant,
    worker: ServiceProcess,
    capsys: pytest.CaptureFixture[str],
) -> None:
    with configured_logging("INFO"):
        # The access logger `provisioner serve` uses (a TestServer takes it only when started).
        server = TestServer(create_app(settings))
        await server.start_server(access_log_class=AccessLogger)
        client = await aiohttp_client(server)
        response = await client.post(
            "/api/v2/accounts", json=account_body("request_logged"), headers=tenant.headers()
        )
        location = await accepted_location(response)
        request_id = response.headers[REQUEST_ID_HEADER]
        await wait_result(client, location, tenant.headers())
        lines = json_lines(capsys.readouterr().err)
    ours = [line for line in lines if line.get("request_id") == request_id]
    # A create is logged with the creates of its batch: one line, an entry per create.
    (batch,) = (line for line in lines if line["event"] == "operations.queued")
    assert (batch["kind"], batch["state"], batch["count"]) == ("create", "queued", 1)
    assert batch["operations"] == [
        {"operation_id": handle_of(location), "account": "REQUEST_LOGGED", "request_id": request_id}
    ]
    (access,) = (line for line in ours if line["event"] == "http.request")
    assert (access["method"], access["path"], access["status"]) == ("POST", "/api/v2/accounts", 202)
    assert isinstance(access["duration_ms"], float)
    assert access["logger"] == "aiohttp.access"
    # Lines of other requests (the polls) carry their own ids, never this one.
    polls = [line for line in lines if line.get("path") == location]
    assert polls
    assert all(line["request_id"] != request_id for line in polls)


async def test_a_canceled_operation_is_logged_by_the_api(
    aiohttp_client: ClientFactory,
    client: Client,
    settings: Settings,
    tenant: Tenant,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Published to a queue no worker reads: the operation stays queued.
    paused = await aiohttp_client(create_app(settings.model_copy(update={"queue_name": "paused"})))
    with configured_logging("INFO"):
        response = await paused.post(
            "/api/v2/accounts", json=account_body("canceled_logged"), headers=tenant.headers()
        )
        handle = handle_of(await accepted_location(response))
        canceled = await client.post(
            f"/api/v2/operations/{handle}:cancel",
            headers={**tenant.headers(), "X-Request-ID": "cancel-logged-1"},
        )
        assert canceled.status == 200
        lines = json_lines(capsys.readouterr().err)
    (line,) = (line for line in lines if line["event"] == "operation.canceled")
    assert (line["operation_id"], line["state"]) == (handle, "canceled")
    assert (line["request_id"], line["account"]) == ("cancel-logged-1", "CANCELED_LOGGED")
