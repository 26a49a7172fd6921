"""Listing: `like`, `showLimit`, `fromName` paging, `history`, as clients see it on the wire."""

from __future__ import annotations

import pytest

from tests.conftest import Tenant
from tests.integration.api import Client, create, drop, names


@pytest.fixture
async def alphabet(client: Client, tenant: Tenant) -> list[str]:
    created = ["ALPHA", "ALPHA_2", "BETA", "BETA$X", "GAMMA"]
    for name in created:
        await create(client, tenant, name.lower())
    return created


async def test_accounts_are_listed_by_name_as_a_bare_array_without_link(
    client: Client, tenant: Tenant, alphabet: list[str]
) -> None:
    response = await client.get("/api/v2/accounts", headers=tenant.headers())
    assert response.status == 200
    assert "Link" not in response.headers
    rows = await response.json()
    assert [row["name"] for row in rows] == alphabet
    assert all(row["edition"] for row in rows)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("?like=alpha%25", ["ALPHA", "ALPHA_2"]),
        ("?like=%25a", ["ALPHA", "BETA", "GAMMA"]),
        ("?like=alpha%5C_%25", ["ALPHA_2"]),  # `\_` is a literal underscore
        ("?like=b___", ["BETA"]),
        ("?like=beta$x", ["BETA$X"]),
        ("?like=nothing", []),
    ],
)
async def test_like_is_a_case_insensitive_sql_pattern(
    client: Client, tenant: Tenant, alphabet: list[str], query: str, expected: list[str]
) -> None:
    assert await names(client, tenant, query) == expected


async def test_a_raw_plus_in_like_is_a_plus_sign_not_a_space(
    client: Client, tenant: Tenant, alphabet: list[str]
) -> None:
    assert await names(client, tenant, "?like=alpha+%25") == []
    assert await names(client, tenant, "?like=alpha%20%25") == []
    assert await names(client, tenant, "?like=alpha%25") == ["ALPHA", "ALPHA_2"]


async def test_from_name_and_show_limit_page_through_every_account_once(
    client: Client, tenant: Tenant, alphabet: list[str]
) -> None:
    seen: list[str] = []
    page = await names(client, tenant, "?showLimit=2")
    while page:
        seen.extend(page)
        page = await names(client, tenant, f"?showLimit=2&fromName={page[-1].replace('$', '%24')}")
    assert seen == alphabet


async def test_from_name_starts_after_the_first_name_that_starts_with_it(
    client: Client, tenant: Tenant, alphabet: list[str]
) -> None:
    assert await names(client, tenant, "?fromName=ALP") == ["ALPHA_2", "BETA", "BETA$X", "GAMMA"]
    assert await names(client, tenant, "?fromName=B") == ["BETA$X", "GAMMA"]
    assert await names(client, tenant, "?fromName=C") == ["GAMMA"]
    # Case-sensitive: lower-case letters sort after every upper-case name.
    assert await names(client, tenant, "?fromName=alpha") == []


async def test_history_adds_dropped_accounts(
    client: Client, tenant: Tenant, alphabet: list[str]
) -> None:
    await drop(client, tenant, "beta")
    assert "BETA" not in await names(client, tenant)
    assert "BETA" in await names(client, tenant, "?history=TRUE")
    assert "BETA" not in await names(client, tenant, "?history=False")


@pytest.mark.parametrize(
    "query", ["?showLimit=0", "?showLimit=10001", "?showLimit=ten", "?history=1", "?like=a%5C"]
)
async def test_bad_list_parameters_are_400_naming_them(
    client: Client, tenant: Tenant, query: str
) -> None:
    response = await client.get(f"/api/v2/accounts{query}", headers=tenant.headers())
    assert response.status == 400
    body = await response.json()
    parameter = query[1:].split("=", maxsplit=1)[0]
    assert parameter in body["message"]


async def test_percent_encoded_names_in_paths_are_decoded(client: Client, tenant: Tenant) -> None:
    await create(client, tenant, "with_dollar$")
    response = await client.get("/api/v2/accounts/with%5Fdollar%24", headers=tenant.headers())
    assert response.status == 200
    assert (await response.json())["name"] == "WITH_DOLLAR$"
