"""What one GraphQL request may cost: size (before parsing), tokens, aliases, depth, estimated
cost; introspection within those limits; strawberry's own refusals in the contract's shape; and a
fuzz run of the whole schema that must find no server error."""

from __future__ import annotations

from typing import Any

import hypothesis_graphql
import pytest
from graphql import get_introspection_query
from hypothesis import HealthCheck, given, settings
from hypothesis_graphql import Mode

from service.domain.roles import Role
from service.web.graphql.limits import MAX_ALIASES, MAX_DEPTH, MAX_DOCUMENT_BYTES, MAX_TOKENS
from tests.conftest import Tenant
from tests.integration.api import Client
from tests.integration.graphql import PATH, graphql_session, refusal, run

FUZZ_EXAMPLES = 60


async def _post(client: Client, tenant: Tenant, body: Any, **headers: str) -> tuple[int, Any]:
    response = await client.post(PATH, json=body, headers=tenant.headers() | headers)
    return response.status, await response.json()


async def test_a_document_over_the_size_cap_is_413_before_parsing(
    client: Client, tenant: Tenant
) -> None:
    query = "{ editions { name } }" + " " * MAX_DOCUMENT_BYTES
    status, body = await _post(client, tenant, {"query": query})
    assert status == 413
    assert body["code"] == "invalid_argument"
    assert str(MAX_DOCUMENT_BYTES) in body["message"]


async def test_too_many_tokens_aliases_or_too_much_cost_are_refused(
    client: Client, tenant: Tenant
) -> None:
    many_tokens = "{ " + "editions { name } " * (MAX_TOKENS // 4) + "}"
    aliases = " ".join(f"a{i}: editions {{ name }}" for i in range(MAX_ALIASES + 1))
    costly = "{ accounts(first: 100) { nodes { operations(first: 50) { id kind state } } } }"
    async with graphql_session(client, tenant, Role.VIEWER) as session:
        tokens = await refusal(session, many_tokens)
        alias = await refusal(session, "{ " + aliases + " }")
        cost = await refusal(session, costly)
        # A variable page size counts as the most it may be, whatever the variables say.
        variable = costly.replace("{ accounts(first: 100)", "query($n: Int) { accounts(first: $n)")
        variable = variable.replace("operations(first: 50)", "operations(first: $n)")
        cost_of_variables = await refusal(session, variable, n=1)
        affordable = await run(session, "{ accounts(first: 10) { nodes { operations { id } } } }")
    assert tokens["extensions"]["code"] == "invalid_argument"
    assert "token" in tokens["message"].lower()
    assert alias["extensions"]["code"] == "invalid_argument"
    assert "alias" in alias["message"].lower()
    assert cost["extensions"]["code"] == "invalid_argument"
    assert "cost" in cost["message"]
    assert cost_of_variables["extensions"]["code"] == "invalid_argument"
    assert affordable == {"accounts": {"nodes": []}}


async def test_a_refused_document_is_refused_again_and_a_valid_one_keeps_its_limits(
    client: Client, tenant: Tenant
) -> None:
    # Valid documents are remembered by their text (not parsed or validated again): what was
    # refused must stay refused, and what depends on variables must still be checked each time.
    costly = "{ accounts(first: 100) { nodes { operations(first: 50) { id kind state } } } }"
    unknown = "{ accounts { nodes { nosuchfield } } }"
    paged = "query($n: Int) { accounts(first: $n) { nodes { name } } }"
    async with graphql_session(client, tenant, Role.VIEWER) as session:
        for _ in range(2):
            assert "cost" in (await refusal(session, costly))["message"]
            assert "nosuchfield" in (await refusal(session, unknown))["message"]
        assert await run(session, paged, n=5) == {"accounts": {"nodes": []}}
        assert await run(session, paged, n=5) == {"accounts": {"nodes": []}}
        too_many = await refusal(session, paged, n=101)
        wrong_type = await refusal(session, paged, n="five")
    assert too_many["extensions"]["code"] == "invalid_argument"
    assert "first" in too_many["message"]
    assert wrong_type["extensions"]["code"] == "invalid_argument"


async def test_too_deep_is_refused_and_introspection_is_allowed(
    client: Client, tenant: Tenant
) -> None:
    # The deepest selection the schema has (4), spread through fragments: depth counts in them.
    deepest = (
        "query Deepest { accounts { edges { node { ...A } } } } "
        "fragment A on Account { operations { ...B } } fragment B on Operation { id }"
    )
    too_deep = "{ accounts { nodes { " + "a { " * MAX_DEPTH + "b" + " }" * MAX_DEPTH + " } } }"
    async with graphql_session(client, tenant, Role.VIEWER) as session:
        schema = await run(session, get_introspection_query())
        assert schema["__schema"]["queryType"]["name"] == "Query"
        assert await run(session, deepest) == {"accounts": {"edges": []}}
    status, body = await _post(client, tenant, {"query": too_deep})
    assert status == 200
    depth = [e for e in body["errors"] if "depth" in e["message"]]
    assert depth, body
    assert depth[0]["extensions"]["code"] == "invalid_argument"


async def test_strawberrys_own_refusals_keep_the_error_shape(
    client: Client, tenant: Tenant
) -> None:
    response = await client.post(
        PATH, data=b"not json", headers=tenant.headers() | {"Content-Type": "application/json"}
    )
    assert response.status == 400
    assert (await response.json())["code"] == "invalid_argument"
    status, body = await _post(client, tenant, [{"query": "{ editions { name } }"}] * 2)
    assert (status, body["code"]) == (400, "invalid_argument")  # batches are refused
    status, body = await _post(client, tenant, "AAA")  # JSON, not an object (the fuzzer's)
    assert (status, body["code"]) == (400, "invalid_argument")
    status, body = await _post(client, tenant, {"variables": {}})
    assert (status, body["code"]) == (400, "invalid_argument")
    response = await client.get(PATH, headers=tenant.headers())
    assert response.status == 405
    assert (await response.json())["code"] == "method_not_allowed"


@pytest.mark.parametrize(
    ("mode", "examples"), [(Mode.POSITIVE, FUZZ_EXAMPLES), (Mode.NEGATIVE, FUZZ_EXAMPLES // 2)]
)
async def test_fuzzing_the_schema_finds_no_server_error(
    client: Client, tenant: Tenant, mode: Mode, examples: int
) -> None:
    """Valid documents, and documents with one violation of the schema (each refused as
    invalid_argument), bounded and repeatable."""
    response = await client.get(f"{PATH}/schema.graphql", headers=tenant.headers())
    sdl = await response.text()
    documents: list[str] = []

    @settings(
        max_examples=examples,
        database=None,
        deadline=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    @given(hypothesis_graphql.from_schema(sdl, mode=mode))
    def collect(document: str) -> None:
        documents.append(document)

    collect()
    assert len(documents) >= examples // 2
    for document in documents:
        status, body = await _post(client, tenant, {"query": document})
        assert status == 200, (document, body)
        codes = {error["extensions"]["code"] for error in body.get("errors", [])}
        assert not codes & {"internal", "unavailable"}, (document, body)
        if mode == Mode.NEGATIVE:
            assert codes == {"invalid_argument"}, (document, body)
