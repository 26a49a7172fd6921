"""Operations name their account by its id too, and are filtered by any of an account's
references (name, `id:`, `externalId:`), in REST and in GraphQL alike, across a rename."""

from __future__ import annotations

import urllib.parse

from service.domain.roles import Role
from tests.conftest import Tenant
from tests.integration.api import Client, accepted_location, create, get_account, wait_result
from tests.integration.graphql import graphql_session, refusal, run

OPERATIONS = """query($account: String) {
  operations(filter: {account: $account}) { nodes { kind account accountId } } }"""


def _query(ref: str) -> str:
    """`account=<ref>`, a space as %20 (the API reads `+` in a query as a plus sign)."""
    return urllib.parse.urlencode({"account": ref}, quote_via=urllib.parse.quote)


async def _listed(client: Client, tenant: Tenant, ref: str) -> list[tuple[str, str, str]]:
    response = await client.get(f"/api/v2/operations?{_query(ref)}", headers=tenant.headers())
    assert response.status == 200, await response.text()
    return [(op["kind"], op["account"], op["account_id"]) for op in await response.json()]


async def test_operations_follow_an_account_by_id_and_external_id_across_a_rename(
    client: Client, tenant: Tenant
) -> None:
    await create(client, tenant, "before_rename", external_id="crm/42 %x")
    await create(client, tenant, "bystander")
    account_id = (await get_account(client, tenant, "before_rename"))["id"]
    renamed = await client.patch(
        f"/api/v2/accounts/id:{account_id}", json={"name": "after_rename"}, headers=tenant.headers()
    )
    await wait_result(client, await accepted_location(renamed), tenant.headers())

    expected = [("update", "AFTER_RENAME", account_id), ("create", "AFTER_RENAME", account_id)]
    for ref in (f"id:{account_id}", "externalId:crm/42 %x", "after_rename"):
        assert await _listed(client, tenant, ref) == expected, ref
    assert await _listed(client, tenant, "before_rename") == []
    async with graphql_session(client, tenant, Role.VIEWER) as session:
        for ref in (f"id:{account_id}", "externalId:crm/42 %x", "AFTER_RENAME"):
            found = await run(session, OPERATIONS, account=ref)
            rows = [
                (n["kind"].lower(), n["account"], n["accountId"])
                for n in found["operations"]["nodes"]
            ]
            assert rows == expected, ref
        node = await run(
            session,
            "query($id: ID!) { account(id: $id) { operations { accountId } } }",
            id=account_id,
        )
        assert {op["accountId"] for op in node["account"]["operations"]} == {account_id}


async def test_a_malformed_account_filter_is_the_same_refusal_in_rest_and_graphql(
    client: Client, tenant: Tenant
) -> None:
    async with graphql_session(client, tenant, Role.VIEWER) as session:
        for ref in ("id:not-a-uuid", "1bad", "a:b", "", "externalId:"):
            response = await client.get(
                f"/api/v2/operations?{_query(ref)}", headers=tenant.headers()
            )
            assert response.status == 400, ref
            rest = await response.json()
            error = await refusal(session, OPERATIONS, account=ref)
            assert error["extensions"]["code"] == rest["code"] == "invalid_argument", ref
            assert error["message"] == rest["message"].replace("account", "filter.account", 1)
