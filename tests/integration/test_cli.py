"""`provisioner accounts | ops | queues` against the real API, worker and beat."""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from service.domain.roles import Role
from service.settings import Settings
from service.web.app import create_app
from tests.conftest import ClientFactory, Tenant
from tests.integration.api import Client, accept_create, create
from tests.integration.tenant import login

GENERATED_PASSWORD = re.compile(r"^password\s+([A-Za-z0-9]{24})\s*$", re.MULTILINE)
RUNNING_TIMEOUT_SECONDS = 10.0
CLI_TIMEOUT_SECONDS = 30.0


@dataclass(frozen=True)
class Result:
    exit_code: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return f"exit status {self.exit_code}\n--- stdout\n{self.stdout}--- stderr\n{self.stderr}"


class Cli:
    """`provisioner …` as a process of its own, pointed at the API (served by this test's event
    loop) through PROVISIONER_URL / PROVISIONER_TOKEN. Not typer's CliRunner: it swaps
    sys.stdout for the whole process, so the in-process API's log lines would land in it."""

    def __init__(self, client: Client, token: str) -> None:
        self.env = {
            **os.environ,
            "PROVISIONER_URL": str(client.make_url("")),
            "PROVISIONER_TOKEN": token,
            "COLUMNS": "80",  # a usual terminal: tables drop or cut columns to fit it
        }

    async def __call__(self, *args: str, env: dict[str, str | None] | None = None) -> Result:
        merged = {**self.env, **(env or {})}
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "service.cli",
            *args,
            env={key: value for key, value in merged.items() if value is not None},
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        stdout, stderr = await asyncio.wait_for(process.communicate(), CLI_TIMEOUT_SECONDS)
        assert process.returncode is not None
        return Result(process.returncode, stdout.decode(), stderr.decode())

    async def json(self, *args: str) -> Any:
        result = await self(*args, "--json")
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout)


@pytest.fixture
def cli(client: Client, tenant: Tenant) -> Cli:
    return Cli(client, tenant.tokens[Role.ADMIN])


def create_args(name: str, edition: str = "ENTERPRISE", *extra: str) -> list[str]:
    options = ["--admin-name", "admin", "--email", "admin@example.com", "--edition", edition]
    return ["accounts", "create", name, *options, *extra]


def field(output: str, name: str) -> str:
    found = re.search(rf"^{name}\s+(\S+)\s*$", output, re.MULTILINE)
    assert found, f"no {name} in:\n{output}"
    return found.group(1)


async def until_running(client: Client, tenant: Tenant, handle: str) -> None:
    for _ in range(int(RUNNING_TIMEOUT_SECONDS / 0.05)):
        response = await client.get(f"/api/v2/operations/{handle}", headers=tenant.headers())
        if (await response.json())["state"] == "running":
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"operation {handle} never ran")


async def test_create_with_wait_prints_working_credentials_once(cli: Cli) -> None:
    result = await cli(*create_args("cli_made", "STANDARD", "--wait"))
    assert result.exit_code == 0, result.output
    assert "succeeded: create of CLI_MADE" in result.stdout
    password = GENERATED_PASSWORD.search(result.stdout)
    assert password, result.stdout
    credentials = {"url": field(result.stdout, "url")}
    with login(credentials, password.group(1)) as session:
        assert session.execute("SELECT current_user").fetchone() == (field(result.stdout, "user"),)
    account = await cli.json("accounts", "get", "cli_made")
    assert (account["state"], account["edition"]) == ("ACTIVE", "STANDARD")


async def test_a_create_that_fails_with_wait_exits_1(cli: Cli) -> None:
    result = await cli(*create_args("FAIL_cli", "ENTERPRISE", "--wait"))
    assert result.exit_code == 1, result.output
    assert "failed: create of FAIL_CLI" in result.stdout
    assert "injected failure for create:FAIL_CLI" in result.stdout
    assert await cli.json("accounts", "list", "--history") == []  # the name is free again


async def test_a_create_without_wait_is_accepted_and_watch_follows_it(cli: Cli) -> None:
    password = ["--admin-password", "Sup3r-secret-pw!"]
    accepted = await cli.json(*create_args("slow_watched", "ENTERPRISE", *password))
    handle = accepted["resultHandler"]
    watched = await cli("ops", "watch", handle, "--json")
    assert watched.exit_code == 0, watched.output
    operation = json.loads(watched.stdout)
    assert (operation["id"], operation["state"], operation["done"]) == (handle, "succeeded", True)
    assert operation["result"]["credentials"]["password"] is None  # given, never handed back


async def test_drop_undrop_and_rotate_with_wait(cli: Cli, client: Client, tenant: Tenant) -> None:
    await create(client, tenant, "cli_cycle")
    dropped = await cli("accounts", "drop", "cli_cycle", "--grace-days", "3", "--wait")
    assert dropped.exit_code == 0, dropped.output
    assert "succeeded: drop of CLI_CYCLE" in dropped.stdout
    assert await cli.json("accounts", "list") == []
    (listed,) = await cli.json("accounts", "list", "--history")
    assert (listed["name"], listed["state"]) == ("CLI_CYCLE", "DROPPED")
    undropped = await cli("accounts", "undrop", "cli_cycle", "--wait")
    assert undropped.exit_code == 0, undropped.output
    rotated = await cli.json("accounts", "rotate", "cli_cycle", "--wait")
    assert rotated["state"] == "succeeded"
    credentials = rotated["result"]["credentials"]
    with login(credentials, credentials["password"]) as session:
        assert session.execute("SELECT 1").fetchone() == (1,)
    nothing = await cli("accounts", "drop", "no_such", "--grace-days", "3", "--if-exists")
    assert (nothing.exit_code, nothing.stdout.strip()) == (
        0,
        "nothing to do: no such active account",
    )


async def test_update_sends_only_the_fields_given_and_clears_with_an_empty_value(
    cli: Cli, client: Client, tenant: Tenant
) -> None:
    await create(client, tenant, "cli_updated")
    changed = await cli(
        "accounts", "update", "cli_updated", "--name", "cli_renamed", "--edition",
        "business_critical", "--comment", "moved", "--deletion-protection", "--wait",
    )  # fmt: skip
    assert changed.exit_code == 0, changed.output
    account = await cli.json("accounts", "get", "cli_renamed")
    assert (account["edition"], account["comment"]) == ("BUSINESS_CRITICAL", "moved")
    assert (account["enabled"], account["deletion_protection"]) == (True, True)
    cleared = await cli(
        "accounts", "update", "cli_renamed", "--comment", "", "--no-deletion-protection",
        "--disable", "--wait",
    )  # fmt: skip
    assert cleared.exit_code == 0, cleared.output
    account = await cli.json("accounts", "get", "cli_renamed")
    assert "comment" not in account
    assert (account["enabled"], account["deletion_protection"]) == (False, False)
    assert account["edition"] == "BUSINESS_CRITICAL"  # not sent, so unchanged
    nothing = await cli("accounts", "update", "cli_renamed")
    assert nothing.exit_code == 2
    assert "name at least one field" in nothing.output


async def test_accounts_list_get_and_http_errors(cli: Cli, client: Client, tenant: Tenant) -> None:
    for name in ("cli_list_b", "cli_list_a", "other"):
        await create(client, tenant, name)
    listed = await cli.json("accounts", "list", "--like", "cli_list%")
    assert [account["name"] for account in listed] == ["CLI_LIST_A", "CLI_LIST_B"]
    assert [a["name"] for a in await cli.json("accounts", "list", "--show-limit", "1")] == [
        "CLI_LIST_A"
    ]
    table = await cli("accounts", "list")
    assert table.exit_code == 0, table.output
    assert re.search(r"CLI_LIST_A\s.*ACTIVE\s.*ENTERPRISE", table.stdout), table.stdout
    missing = await cli("accounts", "get", "no_such")
    assert missing.exit_code == 2
    assert "HTTP 404: account NO_SUCH does not exist" in missing.stderr
    assert re.search(r"request id [0-9a-f-]{36}", missing.stderr), missing.stderr
    bad = await cli("accounts", "drop", "other", "--grace-days", "1")
    assert bad.exit_code == 2
    assert "gracePeriodInDays must be between 3 and 90" in bad.stderr


async def test_ops_list_filters_and_follows_link_only_with_all(
    cli: Cli, client: Client, tenant: Tenant
) -> None:
    for name in ("cli_ops_a", "cli_ops_b", "cli_ops_c"):
        await create(client, tenant, name)
    (first,) = await cli.json("ops", "list", "--limit", "1")
    every = await cli.json("ops", "list", "--limit", "1", "--all")
    assert [operation["account"] for operation in every] == ["CLI_OPS_C", "CLI_OPS_B", "CLI_OPS_A"]
    assert every[0]["id"] == first["id"]
    only_b = await cli.json("ops", "list", "--kind", "create", "--account", "cli_ops_b")
    assert [operation["account"] for operation in only_b] == ["CLI_OPS_B"]
    since = every[0]["created_on"]
    assert [o["id"] for o in await cli.json("ops", "list", "--since", since)] == [first["id"]]
    assert await cli.json("ops", "list", "--state", "failed") == []
    table = await cli("ops", "list")
    assert table.exit_code == 0, table.output
    for operation in every:
        assert operation["id"] in table.stdout
    wrong = await cli("ops", "list", "--state", "done")
    assert wrong.exit_code == 2  # refused by the command line itself


async def test_ops_show(cli: Cli, client: Client, tenant: Tenant) -> None:
    handle = (await create(client, tenant, "cli_shown")).rsplit("/", 1)[1]
    operation = await cli.json("ops", "show", handle)
    assert (operation["id"], operation["kind"], operation["account"]) == (
        handle,
        "create",
        "CLI_SHOWN",
    )
    shown = await cli("ops", "show", handle)
    assert shown.exit_code == 0, shown.output
    assert field(shown.stdout, "state") == "succeeded"
    assert field(shown.stdout, "id") == handle
    unknown = await cli("ops", "show", "00000000-0000-0000-0000-000000000000")
    assert unknown.exit_code == 2
    assert "does not exist" in unknown.stderr


async def test_cancel_of_a_running_operation_exits_2_with_the_409(
    cli: Cli, client: Client, tenant: Tenant
) -> None:
    handle = (await accept_create(client, tenant, "SLOW_cli_cancel")).rsplit("/", 1)[1]
    await until_running(client, tenant, handle)
    refused = await cli("ops", "cancel", handle)
    assert refused.exit_code == 2, refused.output
    assert f"HTTP 409: operation {handle} is running" in refused.stderr
    assert "request id" in refused.stderr
    assert refused.stdout == ""


async def test_cancel_of_a_queued_operation_and_watch_exits_1(
    aiohttp_client: ClientFactory, cli: Cli, tenant: Tenant, settings: Settings
) -> None:
    # Accepted by an API publishing to a queue no worker reads: it stays queued.
    paused = await aiohttp_client(create_app(settings.model_copy(update={"queue_name": "paused"})))
    handle = (await accept_create(paused, tenant, "cli_never")).rsplit("/", 1)[1]
    canceled = await cli("ops", "cancel", handle)
    assert canceled.exit_code == 0, canceled.output
    assert f"canceled: create of CLI_NEVER (operation {handle})" in canceled.stdout
    watched = await cli("ops", "watch", handle)
    assert watched.exit_code == 1, watched.output
    assert "canceled: create of CLI_NEVER" in watched.stdout


async def test_token_from_the_data_dir_of_provisioner_up(
    cli: Cli, tenant: Tenant, tmp_path: Path
) -> None:
    (tmp_path / "dev-admin.token").write_text(tenant.tokens[Role.VIEWER] + "\n")
    env: dict[str, str | None] = {"PROVISIONER_TOKEN": None, "DATA_DIR": str(tmp_path)}
    listed = await cli("accounts", "list", "--json", env=env)
    assert (listed.exit_code, json.loads(listed.stdout)) == (0, [])
    refused = await cli("accounts", "rotate", "whatever", env=env)  # a viewer's token
    assert refused.exit_code == 2
    assert "HTTP 403" in refused.stderr
    empty = tmp_path / "empty"
    empty.mkdir()
    none = await cli("accounts", "list", env={"PROVISIONER_TOKEN": None, "DATA_DIR": str(empty)})
    assert none.exit_code == 2
    assert "no API token" in none.stderr


async def test_queues_once(cli: Cli, client: Client, tenant: Tenant) -> None:
    await create(client, tenant, "cli_queued")
    report = await cli.json("queues", "--once")
    assert report["queues"][0]["ready"] >= 0
    assert report["workers"], report
    assert report["operations_last_hour"]["create"]["succeeded"] == 1
    assert report["stuck"] == []
    screen = await cli("queues", "--once")
    assert screen.exit_code == 0, screen.output
    for title in ("Queues", "Workers", "Operations, last hour", "Purges: ", "No stuck operations"):
        assert title in screen.stdout
    assert report["workers"][0]["name"] in screen.stdout
    viewer = await cli("queues", "--once", env={"PROVISIONER_TOKEN": tenant.tokens[Role.VIEWER]})
    assert viewer.exit_code == 2
    assert "HTTP 403" in viewer.stderr


async def test_queues_refreshes_until_ctrl_c(cli: Cli) -> None:
    env = {key: value for key, value in cli.env.items() if value is not None}
    process = await asyncio.create_subprocess_exec(
        *[sys.executable, "-m", "service.cli", "queues", "--interval", "0.5"],
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    assert process.stdout is not None
    screens = 0
    async with asyncio.timeout(CLI_TIMEOUT_SECONDS):
        while screens < 3:  # not a terminal: one whole screen after another
            line = await process.stdout.readline()
            assert line, "queues ended by itself"
            screens += line.startswith(b"provisioner queues")
        process.send_signal(signal.SIGINT)
        await process.communicate()
    assert process.returncode == 0


async def test_url_and_token_given_as_options(cli: Cli, tenant: Tenant) -> None:
    env: dict[str, str | None] = {"PROVISIONER_URL": None, "PROVISIONER_TOKEN": None}
    url = ["--url", cli.env["PROVISIONER_URL"]]
    admin = [*url, "--token", tenant.tokens[Role.ADMIN]]
    listed = await cli("accounts", "list", "--json", *admin, env=env)
    assert (listed.exit_code, json.loads(listed.stdout)) == (0, []), listed.output
    report = await cli("queues", "--once", "--json", *admin, env=env)
    assert report.exit_code == 0, report.output
    assert "queues" in json.loads(report.stdout)
    refused = await cli("ops", "list", *url, "--token", "not-a-token", env=env)
    assert refused.exit_code == 2, refused.output
    assert "HTTP 401" in refused.stderr
