"""GraphQL and REST agree: a malformed reference is the same refusal in both, an external id
with URL-special characters names the same account in both, an account's operations are one
statement whatever sizes are asked for, an out-of-range size is refused, not capped, and each
mutation of a request counts against the rate limit."""

from __future__ import annotations

import urllib.parse

from sqlalchemy import Engine

from service.domain.refs import MAX_EXTERNAL_ID_LENGTH
from service.domain.roles import Role
from service.settings import Settings
from service.web.app import create_app
from tests.conftest import ClientFactory, Tenant
from tests.integration.api import Client, create, get_account
from tests.integration.graphql import (
    graphql_session,
    refusal,
    run,
    seed_accounts,
    statements_of,
)

BY_ID = "query($id: ID!) { account(id: $id) { id name } }"
BY_EXTERNAL_ID = "query($ext: String!) { accountByExternalId(externalId: $ext) { id name } }"
# What a client sends once the value is percent-encoded: `/`, `%`, `:`, `+`, `?`, `#`, a space.
AWKWARD = "crm/7:a+b%20c?d#e f é"


async def _rest_error(client: Client, tenant: Tenant, ref: str) -> dict[str, str]:
    path = "/api/v2/accounts/" + urllib.parse.quote(ref, safe=":")
    response = await client.get(path, headers=tenant.headers())
    assert response.status == 400, ref
    error: dict[str, str] = await response.json()
    return error


async def test_a_malformed_id_or_external_id_is_invalid_in_both(
    client: Client, tenant: Tenant
) -> None:
    too_long = "x" * (MAX_EXTERNAL_ID_LENGTH + 1)
    async with graphql_session(client, tenant, Role.VIEWER) as session:
        for document, variables, ref in (
            (BY_ID, {"id": "not-a-uuid"}, "id:not-a-uuid"),
            (BY_ID, {"id": ""}, "id:"),
            (BY_EXTERNAL_ID, {"ext": ""}, "externalId:"),
            (BY_EXTERNAL_ID, {"ext": too_long}, f"externalId:{too_long}"),
        ):
            rest = await _rest_error(client, tenant, ref)
            error = await refusal(session, document, **variables)
            assert error["extensions"]["code"] == rest["code"] == "invalid_argument", ref
            # The same sentence, naming the argument instead of the path segment.
            assert error["message"].split(": ", 1)[1] == rest["message"].split(": ", 1)[1]


async def test_an_external_id_with_url_characters_names_the_same_account_in_both(
    client: Client, tenant: Tenant
) -> None:
    await create(client, tenant, "awkward", external_id=AWKWARD)
    rest = await get_account(client, tenant, "externalId:" + urllib.parse.quote(AWKWARD, safe=""))
    assert (rest["name"], rest["external_id"]) == ("AWKWARD", AWKWARD)
    query = urllib.parse.urlencode({"externalId": AWKWARD}, quote_via=urllib.parse.quote)
    listed = await client.get(f"/api/v2/accounts?{query}", headers=tenant.headers())
    assert [row["id"] for row in await listed.json()] == [rest["id"]]
    async with graphql_session(client, tenant, Role.VIEWER) as session:
        found = await run(session, BY_EXTERNAL_ID, ext=AWKWARD)
        assert found["accountByExternalId"] == {"id": rest["id"], "name": "AWKWARD"}
        by_id = await run(session, BY_ID, id=rest["id"])
        assert by_id["account"] == {"id": rest["id"], "name": "AWKWARD"}


async def test_operations_of_any_sizes_take_one_statement_a_level(
    client: Client, tenant: Tenant, engine: Engine
) -> None:
    seed_accounts(engine, tenant, 12, prefix="SZ", operations=4)
    one_size = "{ accounts(first: 12) { nodes { name operations(first: 2) { id } } } }"
    three_sizes = """{ accounts(first: 12) { nodes { name
      a: operations(first: 1) { id } b: operations(first: 3) { id createdOn }
      c: operations(first: 0) { id } } } }"""
    with statements_of(client) as statements:
        async with graphql_session(client, tenant, Role.VIEWER) as session:
            statements.clear()
            await run(session, one_size)
            once = len(statements)
            statements.clear()
            page = await run(session, three_sizes)
            thrice = len(statements)
    assert thrice == once, statements
    for node in page["accounts"]["nodes"]:
        assert (len(node["a"]), len(node["b"]), node["c"]) == (1, 3, [])
        assert node["a"][0]["id"] == node["b"][0]["id"]  # each its own newest
        times = [op["createdOn"] for op in node["b"]]
        assert times == sorted(times, reverse=True)


async def test_an_accounts_operations_out_of_range_are_refused_not_capped(
    client: Client, tenant: Tenant, engine: Engine
) -> None:
    (name,) = seed_accounts(engine, tenant, 1, prefix="CAP", operations=1)
    async with graphql_session(client, tenant, Role.VIEWER) as session:
        for first in (51, -1):
            error = await refusal(
                session,
                "query($first: Int!) { accounts { nodes { operations(first: $first) { id } } } }",
                first=first,
            )
            assert error["extensions"]["code"] == "invalid_argument"
            assert "between 0 and 50" in error["message"], name


async def test_each_mutation_counts_against_the_rate_limit_as_a_rest_request(
    aiohttp_client: ClientFactory, settings: Settings, client: Client, tenant: Tenant
) -> None:
    """Aliases do not multiply the rate: with a burst of 2, the request pays for the first
    mutation, the second takes the last token, the third is rate_limited."""
    limited = settings.model_copy(update={"rate_limit_per_second": 0.01, "rate_limit_burst": 2})
    api: Client = await aiohttp_client(create_app(limited))
    creates = " ".join(
        f'm{n}: createAccount(input: {{name: "rl_{n}", adminName: "a", email: "a@example.com", '
        f"edition: STANDARD}}) {{ id }}"
        for n in (1, 2, 3)
    )
    response = await api.post(
        "/api/v2/graphql", json={"query": f"mutation {{ {creates} }}"}, headers=tenant.headers()
    )
    assert response.status == 200
    body = await response.json()
    (error,) = body["errors"]
    assert (error["path"], error["extensions"]["code"]) == (["m3"], "rate_limited")
    # The refused one is null; the accepted ones keep their operations.
    assert body["data"]["m3"] is None
    assert body["data"]["m1"]["id"] != body["data"]["m2"]["id"]
    later = await api.get("/api/v2/accounts", headers=tenant.headers())
    assert later.status == 429  # the bucket is empty for REST too
    async with graphql_session(client, tenant, Role.VIEWER) as session:
        page = await run(session, '{ accounts(filter: {nameLike: "rl%"}) { nodes { name } } }')
    assert [node["name"] for node in page["accounts"]["nodes"]] == ["RL_1", "RL_2"]
