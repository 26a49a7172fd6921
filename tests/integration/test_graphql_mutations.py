"""GraphQL mutations through gql over HTTP with the real worker: the same use cases, answers
and error codes as REST, idempotency keys, the marketplace's deleteAccount shape."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest
from gql.client import AsyncClientSession
from gql.transport.exceptions import TransportServerError

from service.domain.roles import Role
from service.settings import Settings
from service.web.app import create_app
from tests.conftest import ClientFactory, Tenant
from tests.integration.api import Client, accept_create, get_account, wait_result
from tests.integration.graphql import graphql_session, refusal, run

OPERATION = "id kind state done resultLocation"
CREATE = f"""mutation($input: CreateAccountInput!, $key: String) {{
  createAccount(input: $input, idempotencyKey: $key) {{ {OPERATION} }} }}"""
DELETE = f"""mutation($input: DeleteAccountInput!) {{
  deleteAccount(input: $input) {{ success operation {{ {OPERATION} }} }} }}"""
UNDROP = f"""mutation($id: ID!) {{ undropAccount(input: {{accountId: $id}}) {{ {OPERATION} }} }}"""
UPDATE = f"""mutation($input: UpdateAccountInput!) {{
  updateAccount(input: $input) {{ {OPERATION} }} }}"""
ROTATE = (
    f"""mutation($id: ID!) {{ rotateCredentials(input: {{accountId: $id}}) {{ {OPERATION} }} }}"""
)
BY_EXTERNAL_ID = """query($ext: String!) { accountByExternalId(externalId: $ext) {
  id name state comment owner { adminName email } operations(first: 10) { kind state } } }"""
STATE = "query($id: ID!) { operation(id: $id) { state done error } }"


def new_account(name: str, **fields: Any) -> dict[str, Any]:
    return {"name": name, "adminName": "admin", "email": "a@example.com", "edition": "STANDARD"} | (
        fields
    )


async def finished(session: AsyncClientSession, operation: dict[str, Any]) -> dict[str, Any]:
    """The operation once the worker has finished it."""
    # Read after the hand-off: the worker may have claimed (or finished) it already.
    assert operation["state"] in {"QUEUED", "RUNNING", "SUCCEEDED"}, operation
    assert operation["resultLocation"] == f"/api/v2/results/{operation['id']}"
    deadline = time.monotonic() + 20
    while True:
        found = (await run(session, STATE, id=operation["id"]))["operation"]
        if found["done"]:
            return dict(found)
        assert time.monotonic() < deadline, found
        await asyncio.sleep(0.05)


async def test_every_mutation_runs_the_rest_use_cases(client: Client, tenant: Tenant) -> None:
    async with graphql_session(client, tenant, Role.OPERATOR) as session:
        created = await run(session, CREATE, input=new_account("gq_life", externalId="life-1"))
        assert created["createAccount"]["kind"] == "CREATE"
        assert (await finished(session, created["createAccount"]))["state"] == "SUCCEEDED"
        account = (await run(session, BY_EXTERNAL_ID, ext="life-1"))["accountByExternalId"]
        assert account["name"] == "GQ_LIFE"
        assert account["operations"] == [{"kind": "CREATE", "state": "SUCCEEDED"}]
        assert account["owner"] == {"adminName": "ADMIN", "email": "a@example.com"}
        public_id = account["id"]
        rest = await get_account(client, tenant, f"id:{public_id}")
        assert rest["name"] == "GQ_LIFE"

        patch = {"accountId": public_id, "comment": "from graphql"}
        updated = (await run(session, UPDATE, input=patch))["updateAccount"]
        assert (await finished(session, updated))["state"] == "SUCCEEDED"
        rotated = (await run(session, ROTATE, id=public_id))["rotateCredentials"]
        assert (await finished(session, rotated))["state"] == "SUCCEEDED"
        status, body = await wait_result(client, rotated["resultLocation"], tenant.headers())
        assert status == 200
        assert body["credentials"]["password"]  # handed over once, by the REST result

        dropped = (await run(session, DELETE, input={"accountId": public_id}))["deleteAccount"]
        assert dropped["success"] is True
        assert (await finished(session, dropped["operation"]))["state"] == "SUCCEEDED"
        undropped = (await run(session, UNDROP, id=public_id))["undropAccount"]
        assert (await finished(session, undropped))["state"] == "SUCCEEDED"

        account = (await run(session, BY_EXTERNAL_ID, ext="life-1"))["accountByExternalId"]
    assert account["state"] == "ACTIVE"
    assert account["comment"] == "from graphql"
    async with graphql_session(client, tenant, Role.VIEWER) as session:
        seen = (await run(session, BY_EXTERNAL_ID, ext="life-1"))["accountByExternalId"]
    assert seen["owner"] is None  # as REST: the owner contact is not a viewer's
    assert [op["kind"] for op in account["operations"]] == [
        "UNDROP",
        "DROP",
        "ROTATE",
        "UPDATE",
        "CREATE",
    ]


async def test_the_marketplace_delete_shape_and_if_exists(client: Client, tenant: Tenant) -> None:
    missing = "00000000-0000-0000-0000-000000000001"
    async with graphql_session(client, tenant) as session:
        nothing = await run(session, DELETE, input={"accountId": missing, "ifExists": True})
        assert nothing["deleteAccount"] == {"success": True, "operation": None}
        error = await refusal(session, DELETE, input={"accountId": missing})
    assert error["extensions"]["code"] == "not_found"
    assert missing in error["message"]


async def test_an_idempotency_key_gets_the_first_answer(client: Client, tenant: Tenant) -> None:
    async with graphql_session(client, tenant) as session:
        body = new_account("gq_idem")
        first = (await run(session, CREATE, input=body, key="gq-key-1"))["createAccount"]
        again = (await run(session, CREATE, input=body, key="gq-key-1"))["createAccount"]
        assert again["id"] == first["id"]
        other = new_account("gq_idem_2")
        error = await refusal(session, CREATE, input=other, key="gq-key-1")
        assert error["extensions"]["code"] == "conflict"
        assert "Idempotency-Key" in error["message"]
        await finished(session, first)


async def test_errors_carry_the_rest_codes(client: Client, tenant: Tenant) -> None:
    """invalid_argument, already_exists, conflict, not_found, permission_denied: each as REST
    answers the same request."""
    await wait_result(client, await accept_create(client, tenant, "gq_taken"), tenant.headers())
    async with graphql_session(client, tenant) as session:
        bad_name = await refusal(session, CREATE, input=new_account("not a name"))
        taken = await refusal(session, CREATE, input=new_account("gq_taken"))
        public_id = (await get_account(client, tenant, "GQ_TAKEN"))["id"]
        not_dropped = await refusal(session, UNDROP, id=public_id)
        grace = await refusal(
            session, DELETE, input={"accountId": public_id, "gracePeriodInDays": 1}
        )
        unknown = await refusal(session, ROTATE, id="00000000-0000-0000-0000-000000000002")
        bad_ref = await refusal(session, ROTATE, id="no:such:form")
        coerced = await refusal(session, CREATE, input={"name": "x"})  # required fields missing
        unsupported = await refusal(session, CREATE, input=new_account("gq_pol", polaris=True))
    async with graphql_session(client, tenant, Role.VIEWER) as session:
        denied = await refusal(session, UNDROP, id=public_id)
    assert bad_name["extensions"]["code"] == "invalid_argument"
    assert "name" in bad_name["message"]
    assert taken["extensions"]["code"] == "already_exists"
    assert not_dropped["extensions"]["code"] == "conflict"
    assert grace["extensions"]["code"] == "invalid_argument"
    assert "gracePeriodInDays" in grace["message"]
    assert unknown["extensions"]["code"] == "not_found"
    assert bad_ref["extensions"]["code"] == "invalid_argument"
    assert coerced["extensions"]["code"] == "invalid_argument"
    assert unsupported["extensions"]["code"] == "invalid_argument"
    assert "polaris" in unsupported["message"]  # refused as REST refuses it, never ignored
    assert denied["extensions"]["code"] == "permission_denied"
    response = await client.post(
        f"/api/v2/accounts/id:{public_id}:undrop", headers=tenant.headers()
    )
    assert (response.status, (await response.json())["code"]) == (409, "conflict")


async def test_over_the_rate_limit_is_429_like_rest(
    aiohttp_client: ClientFactory, settings: Settings, tenant: Tenant
) -> None:
    limited = settings.model_copy(update={"rate_limit_per_second": 0.01, "rate_limit_burst": 1})
    api: Client = await aiohttp_client(create_app(limited))
    async with graphql_session(api, tenant) as session:
        await run(session, "{ editions { name } }")
        with pytest.raises(TransportServerError) as raised:
            await run(session, "{ editions { name } }")
    assert raised.value.code == 429


PURGE = f"""mutation($id: ID!) {{ purgeAccount(input: {{accountId: $id}}) {{ {OPERATION} }} }}"""
ASKED = """query($token: ID!) { operations(filter: {requestedBy: $token}) {
  nodes { kind requestedBy { tokenId description } } } }"""


async def test_purge_now_is_for_admins_and_records_who_asked(
    client: Client, tenant: Tenant
) -> None:
    async with graphql_session(client, tenant) as session:
        created = (await run(session, CREATE, input=new_account("gq_purge")))["createAccount"]
        await finished(session, created)
        public_id = (await get_account(client, tenant, "GQ_PURGE"))["id"]
        dropped = (await run(session, DELETE, input={"accountId": public_id}))["deleteAccount"]
        await finished(session, dropped["operation"])
    async with graphql_session(client, tenant, Role.OPERATOR) as session:
        denied = await refusal(session, PURGE, id=public_id)
    assert denied["extensions"]["code"] == "permission_denied"
    async with graphql_session(client, tenant) as session:
        purged = (await run(session, PURGE, id=f"id:{public_id}"))["purgeAccount"]
        assert purged["kind"] == "PURGE"
        assert (await finished(session, purged))["state"] == "SUCCEEDED"
        gone = await run(session, "query($id: ID!) { account(id: $id) { id } }", id=public_id)
        assert gone == {"account": None}
        query = "query($id: ID!) { operation(id: $id) { requestedBy { tokenId } } }"
        asked = (await run(session, query, id=purged["id"]))["operation"]["requestedBy"]
        mine = (await run(session, ASKED, token=asked["tokenId"]))["operations"]["nodes"]
        bad = await refusal(session, ASKED, token="not-a-uuid")
    assert [op["kind"] for op in mine] == ["PURGE", "DROP", "CREATE"]
    assert {op["requestedBy"]["description"] for op in mine} == {"test"}
    assert bad["extensions"]["code"] == "invalid_argument"
