"""Accounts are real: a database on the tenant cluster with a login that works in any client."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import uuid
from datetime import timedelta
from typing import Any

import psycopg
import pytest
from redis import Redis
from sqlalchemy import Engine, select, text, update
from sqlalchemy.orm import Session

from service.domain.errors import Internal
from service.domain.passwords import PasswordSeal, new_secret_key
from service.domain.roles import Role
from service.settings import Settings
from service.store.models import Account, Organization
from service.store.results import hand_over_password
from service.web.keys import POOL
from tests.conftest import Tenant
from tests.integration.api import (
    Client,
    accepted_location,
    account_body,
    create,
    drop,
    wait_result,
)
from tests.integration.tenant import database_exists, login, role_exists, superuser
from tests.processes import ServiceProcess
from tests.servers import RealServers

GIVEN_PASSWORD = "Sup3r-secret-pw!"  # what tests.integration.api.account_body sends


async def created_credentials(
    client: Client, tenant: Tenant, name: str, **fields: Any
) -> dict[str, Any]:
    response = await client.post(
        "/api/v2/accounts", json=account_body(name, **fields), headers=tenant.headers()
    )
    status, body = await wait_result(client, await accepted_location(response), tenant.headers())
    assert status == 200, body
    credentials: dict[str, Any] = body["credentials"]
    return credentials


async def test_the_administrator_logs_in_with_the_chosen_password_and_creates_a_table(
    client: Client, tenant: Tenant, settings: Settings
) -> None:
    credentials = await created_credentials(client, tenant, "real_one", edition="ENTERPRISE")
    assert credentials["password"] is None  # chosen by the caller: never echoed
    with login(credentials, GIVEN_PASSWORD) as session:
        session.execute("CREATE TABLE t (n int)")
        session.execute("INSERT INTO t VALUES (1)")
        assert session.execute("SELECT current_user, current_database()").fetchone() == (
            credentials["user"],
            credentials["database"],
        )
    with superuser(settings) as admin:
        limit, acl = admin.execute(
            "SELECT datconnlimit, datacl::text FROM pg_database WHERE datname = %s",
            (credentials["database"],),
        ).fetchone() or (None, None)
    assert limit == settings.edition_connection_limits["ENTERPRISE"]
    assert "=c" not in (acl or "").replace(credentials["user"] + "=", "")  # no PUBLIC connect


async def create_with_generated_password(client: Client, tenant: Tenant, name: str) -> str:
    """Accept a create without an admin_password; its result location."""
    body = account_body(name)
    del body["admin_password"]
    response = await client.post("/api/v2/accounts", json=body, headers=tenant.headers())
    return await accepted_location(response)


async def finished_with_password_unclaimed(client: Client, tenant: Tenant, name: str) -> str:
    """Create with a generated password and wait as a viewer, who sees null and leaves the
    password where it is; its result location."""
    location = await create_with_generated_password(client, tenant, name)
    status, seen = await wait_result(client, location, tenant.headers(Role.VIEWER))
    assert status == 200
    assert seen["credentials"]["password"] is None
    return location


async def test_a_generated_password_is_handed_over_exactly_once(
    client: Client, tenant: Tenant
) -> None:
    location = await create_with_generated_password(client, tenant, "generated")
    status, first = await wait_result(client, location, tenant.headers())
    assert status == 200
    password = first["credentials"]["password"]
    assert isinstance(password, str)
    assert len(password) >= 20
    _, second = await wait_result(client, location, tenant.headers())
    assert second["credentials"]["password"] is None
    assert second["credentials"]["url"] == first["credentials"]["url"]
    with login(first["credentials"], password) as session:
        assert session.execute("SELECT 1").fetchone() == (1,)


async def test_concurrent_polls_hand_a_generated_password_to_exactly_one(
    client: Client, tenant: Tenant, engine: Engine
) -> None:
    location = await finished_with_password_unclaimed(client, tenant, "contended")
    operation_id = location.rsplit("/", 1)[1]
    with engine.connect() as holder:
        # Hold the row so that all twelve polls reach the hand-over before any of them is done.
        holder.execute(
            text("SELECT 1 FROM operations WHERE id = :id FOR UPDATE"), {"id": operation_id}
        )
        polling = asyncio.gather(
            *(client.get(location, headers=tenant.headers()) for _ in range(12))
        )
        await asyncio.sleep(0.5)
        holder.rollback()
        polls = await polling
    assert {poll.status for poll in polls} == {200}
    passwords = [(await poll.json())["credentials"]["password"] for poll in polls]
    handed = [password for password in passwords if password is not None]
    assert len(handed) == 1
    assert len(handed[0]) >= 20


async def test_a_password_another_secret_key_cannot_unseal_stays_for_the_right_one(
    client: Client, tenant: Tenant, engine: Engine
) -> None:
    location = await finished_with_password_unclaimed(client, tenant, "other_key")
    operation_id = uuid.UUID(location.rsplit("/", 1)[1])
    with Session(engine) as session:
        organization_id = session.scalar(
            select(Organization.id).where(Organization.name == tenant.name)
        )
    assert organization_id is not None
    # An API process started with another SECRET_KEY (say, halfway through a rolling deploy).
    with pytest.raises(Internal, match="cannot be unsealed with this SECRET_KEY"):
        await hand_over_password(
            client.app[POOL],
            organization_id,
            operation_id,
            PasswordSeal(new_secret_key()),
            wait_seconds=5,
        )
    status, handed = await wait_result(client, location, tenant.headers())
    assert status == 200
    assert isinstance(handed["credentials"]["password"], str)


async def test_one_accounts_login_cannot_enter_another_database(
    client: Client, tenant: Tenant, other_tenant: Tenant, settings: Settings
) -> None:
    mine = await created_credentials(client, tenant, "mine")
    theirs = await created_credentials(client, other_tenant, "theirs")
    intruder = {**mine, "url": theirs["url"].replace(theirs["user"], mine["user"])}
    with pytest.raises(psycopg.OperationalError, match="permission denied for database"):
        login(intruder, GIVEN_PASSWORD)
    # The control database is on another server, where the account's login does not exist.
    control = psycopg.conninfo.conninfo_to_dict(settings.database_url or "")
    into_control = {
        **mine,
        "url": f"postgresql://{mine['user']}@{control['host']}:{control['port']}/{control['dbname']}",
    }
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        login(into_control, GIVEN_PASSWORD)


async def test_drop_locks_the_login_out_and_undrop_brings_it_back_with_its_data(
    client: Client, tenant: Tenant
) -> None:
    credentials = await created_credentials(client, tenant, "lockable")
    open_session = login(credentials, GIVEN_PASSWORD)
    open_session.execute("CREATE TABLE kept (v text)")
    open_session.execute("INSERT INTO kept VALUES ('a'), ('b')")
    await drop(client, tenant, "lockable")
    with pytest.raises(psycopg.OperationalError):
        open_session.execute("SELECT 1")  # the open session was terminated
    open_session.close()
    with pytest.raises(psycopg.OperationalError, match="not permitted to log in"):
        login(credentials, GIVEN_PASSWORD)

    response = await client.post("/api/v2/accounts/lockable:undrop", headers=tenant.headers())
    status, _ = await wait_result(client, await accepted_location(response), tenant.headers())
    assert status == 200
    with login(credentials, GIVEN_PASSWORD) as session:
        assert session.execute("SELECT v FROM kept ORDER BY v").fetchall() == [("a",), ("b",)]


async def test_purge_removes_the_database_and_the_role(
    client: Client, tenant: Tenant, settings: Settings, engine: Engine
) -> None:
    credentials = await created_credentials(client, tenant, "purged_for_real")
    await drop(client, tenant, "purged_for_real")
    assert database_exists(settings, credentials["database"])  # nothing deleted on drop
    with Session(engine) as session, session.begin():
        session.execute(
            update(Account)
            .where(Account.tenant_database == credentials["database"])
            .values(scheduled_deletion_time=Account.scheduled_deletion_time - timedelta(days=4))
        )
    for _ in range(100):  # the beat scan runs every second; give it 20 s
        if not database_exists(settings, credentials["database"]):
            break
        await asyncio.sleep(0.2)
    assert not database_exists(settings, credentials["database"])
    assert not role_exists(settings, credentials["user"])
    response = await client.get("/api/v2/accounts/purged_for_real", headers=tenant.headers())
    assert response.status == 404


@pytest.mark.parametrize(
    "weak", ["short1A", "alllowercase123", "NoDigitsHereAtAll", "Spaces 1n it!!"]
)
async def test_a_password_breaking_the_policy_is_a_400_naming_the_rule(
    client: Client, tenant: Tenant, weak: str
) -> None:
    response = await client.post(
        "/api/v2/accounts",
        json=account_body("weak_pw", admin_password=weak),
        headers=tenant.headers(),
    )
    assert response.status == 400
    message = (await response.json())["message"]
    assert "admin_password" in message
    assert "at least one lower-case letter" in message
    assert weak not in message


async def test_rotation_hands_over_a_new_password_once_and_retires_the_old_one(
    client: Client, tenant: Tenant
) -> None:
    credentials = await created_credentials(client, tenant, "rotated")
    viewer = await client.post(
        "/api/v2/accounts/rotated:rotateCredentials", headers=tenant.headers(Role.VIEWER)
    )
    assert viewer.status == 403
    response = await client.post(
        "/api/v2/accounts/rotated:rotateCredentials", headers=tenant.headers()
    )
    location = await accepted_location(response)
    status, first = await wait_result(client, location, tenant.headers())
    assert status == 200
    new_password = first["credentials"]["password"]
    assert isinstance(new_password, str)
    assert (await wait_result(client, location, tenant.headers()))[1]["credentials"][
        "password"
    ] is None
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        login(credentials, GIVEN_PASSWORD)
    with login(credentials, new_password) as session:
        assert session.execute("SELECT 1").fetchone() == (1,)


async def test_rotation_of_a_dropped_account_is_409(client: Client, tenant: Tenant) -> None:
    await create(client, tenant, "gone_quiet")
    await drop(client, tenant, "gone_quiet")
    response = await client.post(
        "/api/v2/accounts/gone_quiet:rotateCredentials", headers=tenant.headers()
    )
    assert response.status == 409
    assert "DROPPED" in (await response.json())["message"]


def _redis_text(redis_url: str) -> str:
    """Every value in Redis, with Celery message bodies decoded."""
    client = Redis.from_url(redis_url, decode_responses=True)
    parts: list[str] = []
    for key in client.scan_iter():
        kind = client.type(key)
        values: list[str] = []
        if kind == "list":
            values = [str(v) for v in client.lrange(key, 0, -1)]
        elif kind == "hash":
            values = [str(v) for v in client.hgetall(key).values()]
        elif kind == "string":
            values = [str(client.get(key) or "")]
        elif kind == "zset":
            values = [str(v) for v in client.zrange(key, 0, -1)]
        for raw in values:
            parts.append(raw)
            with contextlib.suppress(ValueError, KeyError, TypeError):
                parts.append(base64.b64decode(json.loads(raw)["body"]).decode(errors="replace"))
    client.close()
    return "\n".join(parts)


def _tables_text(engine: Engine) -> str:
    with engine.connect() as connection:
        return "\n".join(
            str(row[0])
            for table in ("organizations", "api_tokens", "accounts", "operations")
            for row in connection.execute(text(f"SELECT t::text FROM {table} t"))  # noqa: S608
        )


async def test_passwords_appear_in_no_log_line_queue_message_or_table(
    client: Client,
    tenant: Tenant,
    engine: Engine,
    servers: RealServers,
    worker: ServiceProcess,
    beat: ServiceProcess,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level("DEBUG")
    chosen = await created_credentials(client, tenant, "quiet_chosen")
    body = account_body("quiet_generated")
    del body["admin_password"]
    response = await client.post("/api/v2/accounts", json=body, headers=tenant.headers())
    _, result = await wait_result(client, await accepted_location(response), tenant.headers())
    generated = result["credentials"]["password"]
    rotation = await client.post(
        "/api/v2/accounts/quiet_generated:rotateCredentials", headers=tenant.headers()
    )
    _, rotated = await wait_result(client, await accepted_location(rotation), tenant.headers())
    assert chosen["user"]
    secrets = [GIVEN_PASSWORD, generated, rotated["credentials"]["password"]]

    places = {
        "worker log": worker.log(),
        "beat log": beat.log(),
        "API log": caplog.text,
        "queue messages": _redis_text(servers.redis_url),
        "tables": _tables_text(engine),
    }
    if servers.log_dir is not None:
        places["PostgreSQL log"] = (servers.log_dir / "postgresql.log").read_text(errors="replace")
    assert len(places["worker log"]) > 0
    assert "quiet_generated" in places["tables"].lower()  # the search does see these rows
    for secret in secrets:
        assert isinstance(secret, str)
        for place, content in places.items():
            assert secret not in content, f"a password leaked into the {place}"


async def test_a_viewer_never_receives_nor_uses_up_a_generated_password(
    client: Client, tenant: Tenant
) -> None:
    location = await finished_with_password_unclaimed(client, tenant, "viewer_safe")
    _, seen_by_operator = await wait_result(client, location, tenant.headers(Role.OPERATOR))
    assert isinstance(seen_by_operator["credentials"]["password"], str)
