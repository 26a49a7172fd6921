"""A warm poll is answered from the API process's table of operations, which PostgreSQL's NOTIFYs
keep current; lost NOTIFYs (the LISTEN connection down) make it read the database again, and a
generated password is still handed over exactly once across API processes."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from typing import Any

from sqlalchemy import Engine, text

from service.domain.roles import Role
from service.settings import Settings
from service.store.notifications import DONE_CHANNEL
from service.web.app import create_app
from service.web.keys import LISTENER
from service.web.listener import NotificationListener
from tests.conftest import ClientFactory, Tenant
from tests.integration.api import (
    Client,
    accept_create,
    accepted_location,
    account_body,
    create,
    wait_result,
)


def handle_of(location: str) -> uuid.UUID:
    return uuid.UUID(location.rsplit("/", 1)[1])


def rewrite_status(engine: Engine, location: str, status: str, *, announce: bool) -> None:
    """Change a finished result's recorded body behind the API's back (with or without the
    NOTIFY every real change of an answer sends)."""
    with engine.begin() as connection:
        body = connection.scalar(
            text("SELECT response_body FROM operations WHERE id = :id"),
            {"id": handle_of(location)},
        )
        changed = {**body, "status": status}
        connection.execute(
            text("UPDATE operations SET response_body = CAST(:body AS jsonb) WHERE id = :id"),
            {"body": json.dumps(changed), "id": handle_of(location)},
        )
        if announce:
            connection.execute(
                text("SELECT pg_notify(:channel, :id)"),
                {"channel": DONE_CHANNEL, "id": str(handle_of(location))},
            )


async def status_of(client: Client, location: str, tenant: Tenant) -> str:
    response = await client.get(location, headers=tenant.headers(Role.VIEWER))
    assert response.status == 200
    status: str = (await response.json())["status"]
    return status


async def eventually(check: Any, seconds: float = 5.0) -> None:
    deadline = time.monotonic() + seconds
    while not await check():
        assert time.monotonic() < deadline, "not within the time"
        await asyncio.sleep(0.02)


async def test_a_warm_poll_reads_nothing_until_the_operation_is_announced(
    client: Client, tenant: Tenant, other_tenant: Tenant, engine: Engine
) -> None:
    location = await create(client, tenant, "WARM")
    await eventually(lambda: _listening(client))
    first = await status_of(client, location, tenant)
    rewrite_status(engine, location, "changed unannounced", announce=False)
    assert await status_of(client, location, tenant) == first  # from memory: no read
    # Scoping holds for an operation the table knows: another organization gets 404.
    theirs = await client.get(location, headers=other_tenant.headers())
    assert theirs.status == 404
    rewrite_status(engine, location, "changed and announced", announce=True)

    async def fresh() -> bool:
        return await status_of(client, location, tenant) == "changed and announced"

    await eventually(fresh)


async def test_notifies_lost_while_listen_is_down_send_polls_to_the_database(
    client: Client, tenant: Tenant, engine: Engine
) -> None:
    location = await create(client, tenant, "RELISTEN")
    await eventually(lambda: _listening(client))
    await status_of(client, location, tenant)  # warm
    listener = client.app[LISTENER]
    with engine.begin() as connection:
        connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": listener.backend_pid})
    await eventually(lambda: _not_listening(client))
    # Changed (and announced) while nobody listens: the NOTIFY is lost.
    rewrite_status(engine, location, "changed while down", announce=True)
    assert await status_of(client, location, tenant) == "changed while down"
    await eventually(lambda: _listening(client))
    assert await status_of(client, location, tenant) == "changed while down"
    rewrite_status(engine, location, "changed unannounced", announce=False)
    # Warm again after the reconnection (read once above, trusted since).
    assert await status_of(client, location, tenant) == "changed while down"


async def test_a_generated_password_is_handed_over_once_across_api_processes(
    client: Client, aiohttp_client: ClientFactory, settings: Settings, tenant: Tenant
) -> None:
    other: Client = await aiohttp_client(create_app(settings))
    body = account_body("ONCE_ACROSS")
    del body["admin_password"]  # generated: the result hands it over, once
    location = await accepted_location(
        await client.post("/api/v2/accounts", json=body, headers=tenant.headers())
    )
    await wait_result(client, location, tenant.headers(Role.VIEWER))
    for api in (client, other):  # both tables know it, with the password still waiting
        await eventually(lambda api=api: _listening(api))
        viewed = await api.get(location, headers=tenant.headers(Role.VIEWER))
        assert (await viewed.json())["credentials"]["password"] is None
    responses = await asyncio.gather(
        *(api.get(location, headers=tenant.headers()) for api in (client, other) * 5)
    )
    passwords = [(await response.json())["credentials"]["password"] for response in responses]
    assert [response.status for response in responses] == [200] * 10
    assert len([password for password in passwords if password is not None]) == 1
    for api in (client, other):
        later = await api.get(location, headers=tenant.headers())
        assert (await later.json())["credentials"]["password"] is None


async def _listening(client: Client) -> bool:
    listener: NotificationListener = client.app[LISTENER]
    return listener.listening.is_set()


async def _not_listening(client: Client) -> bool:
    return not await _listening(client)


async def test_a_cancel_is_seen_at_once_by_the_process_that_canceled(
    aiohttp_client: ClientFactory, settings: Settings, tenant: Tenant
) -> None:
    # Publishing to a queue no worker reads: the operation stays queued.
    paused: Client = await aiohttp_client(
        create_app(settings.model_copy(update={"queue_name": "paused"}))
    )
    await eventually(lambda: _listening(paused))
    location = await accept_create(paused, tenant, "CANCELED_WARM")
    assert (await paused.get(location, headers=tenant.headers())).status == 202  # warm: queued
    handle = location.rsplit("/", 1)[1]
    canceled = await paused.post(f"/api/v2/operations/{handle}:cancel", headers=tenant.headers())
    assert canceled.status == 200
    # No wait for the NOTIFY: the process that committed the cancel forgot the queued answer
    # (here the NOTIFY too is usually back by now; a table never told would still say 202).
    assert (await paused.get(location, headers=tenant.headers())).status == 409
