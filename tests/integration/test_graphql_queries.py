"""GraphQL reads through gql over HTTP: Relay pages both ways, filters and order, lookups by id
and external id, one query per level for operations, scoping and roles."""

from __future__ import annotations

from typing import Any

import pytest
from gql.transport.exceptions import TransportServerError
from sqlalchemy import Engine

from service.domain.roles import Role
from tests.conftest import Tenant
from tests.integration.api import Client, get_account
from tests.integration.graphql import (
    graphql_session,
    refusal,
    run,
    seed_accounts,
    statements_of,
)

PAGE = """
query Page($first: Int, $after: String, $last: Int, $before: String,
           $filter: AccountFilterInput, $orderBy: AccountOrderInput) {
  accounts(first: $first, after: $after, last: $last, before: $before,
           filter: $filter, orderBy: $orderBy) {
    totalCount
    nodes { name }
    edges { cursor node { id name } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}
"""


async def _walk(session: Any, forwards: bool, **variables: Any) -> list[str]:
    """Every name, a page at a time, following the cursors one way."""
    seen: list[str] = []
    cursor = None
    while True:
        if forwards:
            page = await run(session, PAGE, first=40, after=cursor, **variables)
        else:
            page = await run(session, PAGE, last=40, before=cursor, **variables)
        connection = page["accounts"]
        assert connection["totalCount"] == 250
        names = [node["name"] for node in connection["nodes"]]
        assert names == [edge["node"]["name"] for edge in connection["edges"]]
        info = connection["pageInfo"]
        if forwards:
            seen.extend(names)
            cursor, more = info["endCursor"], info["hasNextPage"]
        else:
            seen[:0] = names
            cursor, more = info["startCursor"], info["hasPreviousPage"]
        if not more:
            return seen


async def test_pages_forwards_and_backwards_over_250_accounts(
    client: Client, tenant: Tenant, engine: Engine
) -> None:
    names = seed_accounts(engine, tenant, 250)
    async with graphql_session(client, tenant, Role.VIEWER) as session:
        assert await _walk(session, forwards=True) == names
        assert await _walk(session, forwards=False) == names
        newest_first = {"field": "CREATED_ON", "direction": "ASC"}
        by_age = await _walk(session, forwards=True, orderBy=newest_first)
        assert by_age == list(reversed(names))  # the seed made later names older
        descending = {"field": "NAME", "direction": "DESC"}
        assert await _walk(session, forwards=False, orderBy=descending) == names[::-1]


async def test_filters_and_lookups_agree_with_rest(
    client: Client, tenant: Tenant, engine: Engine
) -> None:
    seed_accounts(engine, tenant, 12, prefix="FLT")
    async with graphql_session(client, tenant, Role.VIEWER) as session:
        page = await run(session, PAGE, filter={"nameLike": "flt\\_001%"})
        assert [n["name"] for n in page["accounts"]["nodes"]] == ["FLT_0010", "FLT_0011"]
        assert page["accounts"]["totalCount"] == 2
        page = await run(session, PAGE, filter={"externalId": "ext-FLT-3", "edition": "STANDARD"})
        (edge,) = page["accounts"]["edges"]
        public_id = edge["node"]["id"]
        query = """query One($id: ID!, $ext: String!) {
          account(id: $id) { id name state edition externalId accountLocator limits {
            connections storageBytes } }
          accountByExternalId(externalId: $ext) { id name }
          missing: account(id: "00000000-0000-0000-0000-000000000000") { id }
        }"""
        found = await run(session, query, id=public_id, ext="ext-FLT-3")
    rest = await get_account(client, tenant, "FLT_0003")
    account = found["account"]
    assert account["name"] == rest["name"] == "FLT_0003"
    assert account["state"] == rest["state"]
    assert account["edition"] == rest["edition"]
    assert account["accountLocator"] == rest["account_locator"]
    assert account["limits"]["storageBytes"] == rest["limits"]["storage_bytes"]
    assert found["accountByExternalId"] == {"id": public_id, "name": "FLT_0003"}
    assert found["missing"] is None


async def test_operations_of_a_page_take_one_query(
    client: Client, tenant: Tenant, engine: Engine
) -> None:
    """N+1 prevention: the statements of a page with each account's operations do not grow
    with the number of accounts."""
    seed_accounts(engine, tenant, 30, prefix="NPO", operations=5)
    query = """query($first: Int) { accounts(first: $first) {
      nodes { name operations(first: 3) { account kind state createdOn } } } }"""
    with statements_of(client) as statements:
        async with graphql_session(client, tenant, Role.VIEWER) as session:
            statements.clear()
            small = await run(session, query, first=2)
            few = len(statements)
            statements.clear()
            large = await run(session, query, first=30)
            many = len(statements)
    assert len(small["accounts"]["nodes"]) == 2
    assert len(large["accounts"]["nodes"]) == 30
    for node in large["accounts"]["nodes"]:
        operations = node["operations"]
        assert [op["account"] for op in operations] == [node["name"]] * 3
        times = [op["createdOn"] for op in operations]
        assert times == sorted(times, reverse=True)  # its newest three
    assert few == many, statements
    assert many <= 4, statements


async def test_an_organization_sees_only_its_own(
    client: Client, tenant: Tenant, other_tenant: Tenant, engine: Engine
) -> None:
    seed_accounts(engine, other_tenant, 3, prefix="OTH")
    async with graphql_session(client, other_tenant) as session:
        theirs = await run(session, PAGE, first=5)
    public_id = theirs["accounts"]["nodes"][0]["name"]
    ids = [edge["node"]["id"] for edge in theirs["accounts"]["edges"]]
    async with graphql_session(client, tenant) as session:
        mine = await run(session, PAGE, first=5)
        assert mine["accounts"]["totalCount"] == 0
        assert (await run(session, "query($id: ID!) { account(id: $id) { id } }", id=ids[0])) == {
            "account": None
        }
        found = await run(session, '{ accountByExternalId(externalId: "ext-OTH-1") { id } }')
        assert found == {"accountByExternalId": None}
        error = await refusal(
            session,
            "mutation($id: ID!) { undropAccount(input: {accountId: $id}) { id } }",
            id=ids[0],
        )
    assert error["extensions"]["code"] == "not_found", public_id


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer nope"}])
async def test_no_token_is_401_like_rest(client: Client, headers: dict[str, str]) -> None:
    response = await client.post(
        "/api/v2/graphql", json={"query": "{ editions { name } }"}, headers=headers
    )
    assert response.status == 401
    body = await response.json()
    assert body["code"] == "unauthenticated"
    assert response.headers["X-Snowflake-Request-ID"] == body["request_id"]


async def test_a_viewer_reads_but_may_not_mutate(client: Client, tenant: Tenant) -> None:
    async with graphql_session(client, tenant, Role.VIEWER) as session:
        editions = await run(session, "{ editions { name connectionLimit storageLimitBytes } }")
        assert {e["name"] for e in editions["editions"]} == {
            "STANDARD",
            "ENTERPRISE",
            "BUSINESS_CRITICAL",
        }
        error = await refusal(
            session,
            """mutation { createAccount(input: {name: "V1", adminName: "a",
               email: "a@example.com", edition: STANDARD}) { id } }""",
        )
    assert error["extensions"]["code"] == "permission_denied"
    assert "viewer" in error["message"]


async def test_the_schema_is_served_as_sdl(client: Client, tenant: Tenant) -> None:
    response = await client.get(
        "/api/v2/graphql/schema.graphql", headers=tenant.headers(Role.VIEWER)
    )
    assert response.status == 200
    text = await response.text()
    assert "type Query" in text
    assert "deleteAccount(" in text
    unauthenticated = await client.get("/api/v2/graphql/schema.graphql")
    assert unauthenticated.status == 401


async def test_a_gql_session_raises_on_http_refusals(client: Client, tenant: Tenant) -> None:
    broken = Tenant(tenant.name, {role: "not-a-token" for role in tenant.tokens})
    async with graphql_session(client, broken) as session:
        with pytest.raises(TransportServerError) as raised:
            await run(session, "{ editions { name } }")
    assert raised.value.code == 401


async def test_bad_page_arguments_are_invalid_arguments(
    client: Client, tenant: Tenant, engine: Engine
) -> None:
    seed_accounts(engine, tenant, 3, prefix="ARG")
    by_age = {"field": "CREATED_ON", "direction": "ASC"}
    async with graphql_session(client, tenant, Role.VIEWER) as session:
        page = await run(session, PAGE, first=1, orderBy=by_age)
        foreign = page["accounts"]["pageInfo"]["endCursor"]
        refusals = [
            await refusal(session, PAGE, first=101),
            await refusal(session, PAGE, first=1, last=1),
            await refusal(session, PAGE, first=1, after=foreign),  # a CREATED_ON cursor
            await refusal(session, PAGE, first=1, after="garbage"),
            await refusal(session, PAGE, filter={"nameLike": "ends\\"}),
            await refusal(session, PAGE, filter={"name": "not a name"}),
            await refusal(session, "{ operations(first: 501) { nodes { id } } }"),
            await refusal(
                session, '{ operations(filter: {since: "2026-01-01T00:00:00"}) { nodes { id } } }'
            ),
        ]
    assert [error["extensions"]["code"] for error in refusals] == ["invalid_argument"] * 8
    assert "first" in refusals[0]["message"]
    assert "cursor" in refusals[2]["message"]
