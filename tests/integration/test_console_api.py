"""The console's server side: the page and its policy, who the token is, the live overview."""

from __future__ import annotations

import json

from service.domain.roles import Role
from service.web.console.pages import STATIC_FILES
from tests.conftest import Tenant
from tests.integration.api import Client


async def test_the_page_allows_only_its_own_scripts_and_styles(client: Client) -> None:
    response = await client.get("/console")
    assert response.status == 200
    assert response.content_type == "text/html"
    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self';" in policy
    assert "unsafe-inline" not in policy
    assert "form-action 'none'" in policy
    page = await response.text()
    assert "<script>" not in page
    assert "style=" not in page
    for filename, media_type in STATIC_FILES.items():
        served = await client.get(f"/console/static/{filename}")
        assert (served.status, served.content_type) == (200, media_type), filename
    missing = await client.get("/console/static/../../settings.py")
    assert missing.status == 404


async def test_the_session_tells_the_token_its_role_and_permissions(
    client: Client, tenant: Tenant
) -> None:
    response = await client.get("/api/v2/session", headers=tenant.headers(Role.VIEWER))
    assert response.status == 200
    assert await response.json() == {
        "organization_name": tenant.name,
        "role": "viewer",
        "permissions": ["read_accounts"],
    }
    refused = await client.get("/api/v2/session", headers={"Authorization": "Bearer nope"})
    assert refused.status == 401
    assert (await refused.json())["code"] == "unauthenticated"


async def test_the_overview_lists_the_live_worker_and_the_queues_with_samples(
    client: Client, tenant: Tenant
) -> None:
    response = await client.get("/api/v2/console/overview", headers=tenant.headers(Role.OPERATOR))
    assert response.status == 200
    overview = await response.json()
    assert [len(queue["samples"]) for queue in overview["queues"]] == [1, 1]
    assert any(worker["status"] == "live" for worker in overview["workers"])
    assert overview["heartbeat_expires_seconds"] == 20
    viewer = await client.get("/api/v2/console/overview", headers=tenant.headers(Role.VIEWER))
    assert viewer.status == 403


async def test_the_overview_streams_as_server_sent_events_with_the_bearer_header(
    client: Client, tenant: Tenant
) -> None:
    headers = {**tenant.headers(Role.OPERATOR), "Accept": "text/event-stream"}
    async with client.get("/api/v2/console/overview", headers=headers) as response:
        assert response.status == 200
        assert response.content_type == "text/event-stream"
        assert response.headers["X-Snowflake-Request-ID"]
        lines: list[str] = []
        while len(lines) < 2 or lines[-1]:
            lines.append((await response.content.readline()).decode().rstrip("\r\n"))
    assert lines[0] == "event: overview"
    assert json.loads(lines[1].removeprefix("data: "))["queues"]


async def test_open_streams_of_an_organization_get_the_same_rendered_overview(
    client: Client, tenant: Tenant
) -> None:
    headers = {**tenant.headers(Role.OPERATOR), "Accept": "text/event-stream"}
    events: list[bytes] = []
    for _ in range(2):  # within the overview's 2 s cache: the one rendered event, as sent
        async with client.get("/api/v2/console/overview", headers=headers) as response:
            event = b""
            while not event.endswith(b"\r\n\r\n"):
                event += await response.content.readline()
            events.append(event)
    assert events[0] == events[1]
    head, data = events[0].split(b"\r\n", 1)
    assert head == b"event: overview"
    assert data.startswith(b"data: ")
    assert data.endswith(b"}\r\n\r\n")
    assert b"\n" not in data.removesuffix(b"\r\n\r\n")  # one data line: the JSON has no newline
    assert json.loads(data.removeprefix(b"data: "))["queues"]
