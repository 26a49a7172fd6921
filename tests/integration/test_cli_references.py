"""The CLI with issue 16's additions: the owner contact and an external id at create, an account
read by reference and printed readably, operations listed by reference and showing who asked."""

from __future__ import annotations

import re

import pytest

from service.domain.roles import Role
from tests.conftest import Tenant
from tests.integration.api import Client
from tests.integration.test_cli import Cli, create_args, field


@pytest.fixture
def cli(client: Client, tenant: Tenant) -> Cli:
    return Cli(client, tenant.tokens[Role.ADMIN])


async def test_an_account_made_and_read_by_reference_prints_readably(
    cli: Cli, tenant: Tenant
) -> None:
    owner = ["--first-name", "Ada", "--last-name", "Lovelace", "--external-id", "crm/42 x"]
    made = await cli(*create_args("cli_owned", "STANDARD", *owner, "--wait"))
    assert made.exit_code == 0, made.output
    account = await cli.json("accounts", "get", "externalId:crm/42 x")
    assert account["owner"]["first_name"] == "Ada"
    assert account["external_id"] == "crm/42 x"

    shown = await cli("accounts", "get", f"id:{account['id']}")
    assert shown.exit_code == 0, shown.output
    assert field(shown.stdout, "id") == account["id"]
    assert "Ada Lovelace <admin@example.com>, administrator ADMIN" in shown.stdout
    assert re.search(r"^measured\s+not yet", shown.stdout, re.MULTILINE), shown.stdout
    assert f"? of {account['limits']['connections']}" in shown.stdout
    assert "{" not in shown.stdout  # no nested object printed as a dict

    plan = await cli("accounts", "plan", "externalId:crm/42 x")
    assert plan.exit_code == 0, plan.output
    assert "CLI_OWNED · STANDARD · not measured yet" in plan.stdout
    assert re.search(r"connections\s+│\s+10\s+│\s+\?", plan.stdout), plan.stdout
    assert (await cli.json("accounts", "plan", f"id:{account['id']}"))["id"] == account["id"]

    (operation,) = await cli.json("ops", "list", "--account", "externalId:crm/42 x")
    assert operation["account_id"] == account["id"]
    asked = operation["requested_by"]
    wide: dict[str, str | None] = {"COLUMNS": "200"}
    listed = await cli("ops", "list", "--account", f"id:{account['id']}", env=wide)
    assert listed.exit_code == 0, listed.output
    assert "BY" in listed.stdout
    assert asked["description"] in listed.stdout
    details = await cli("ops", "show", operation["id"])
    assert field(details.stdout, "account id") == account["id"]
    assert f"{asked['description']} (token {asked['token_id']})" in details.stdout
