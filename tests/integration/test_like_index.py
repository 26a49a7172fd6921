"""The `like` listing over many accounts reads the trigram index, whatever plan gets cached."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, event, select, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from service.settings import Settings
from service.store.db import async_sessions, create_web_engine
from service.store.listing import list_accounts
from service.store.models import Organization
from tests.conftest import Tenant

ACCOUNTS = 10_000  # enough that a sequential scan costs well over the index lookup
TRIGRAM_INDEX = "ix_accounts_name_trgm"
# One statement for many rows, like a long-lived organization's; names LIKE_0000001, LIKE_0000002, …
_INSERT_ACCOUNTS = text(
    """
    INSERT INTO accounts (
        organization_id, name, state, account_locator, edition,
        managed_accounts, is_org_admin, retention_time, is_events_account
    )
    SELECT :organization_id, 'LIKE_' || lpad(n::text, 7, '0'), 'ACTIVE',
           :locator_prefix || lpad(n::text, 7, '0'), 'STANDARD', 0, false, 1, false
    FROM generate_series(1, :count) AS n
    """
)


@pytest.fixture
def organization_id(engine: Engine, tenant: Tenant) -> Iterator[int]:
    """The tenant's organization, holding ACCOUNTS accounts, with fresh planner statistics."""
    with engine.begin() as connection:
        org_id = connection.scalar(select(Organization.id).where(Organization.name == tenant.name))
        assert org_id is not None
        connection.execute(
            _INSERT_ACCOUNTS,
            {
                "organization_id": org_id,
                "locator_prefix": "L" + uuid.uuid4().hex[:8].upper(),
                "count": ACCOUNTS,
            },
        )
        connection.execute(text("ANALYZE accounts"))
    yield org_id
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM accounts WHERE organization_id = :id"), {"id": org_id})


@pytest.fixture
async def web_engine(settings: Settings) -> AsyncIterator[AsyncEngine]:
    """The API's kind of engine, with one connection, so its prepared statements can be seen."""
    assert settings.database_url is not None
    engine = create_web_engine(settings.database_url, pool_size=1)
    yield engine
    await engine.dispose()


async def listed_names(session: AsyncSession, organization_id: int, like: str) -> list[str]:
    accounts = await list_accounts(
        session, organization_id, like=like, show_limit=10_000, from_name=None, history=False
    )
    await session.commit()  # one transaction per request, as the API does
    return [account.name for account in accounts]


def index_names(plan: Any) -> set[str]:
    """Every index an EXPLAIN (FORMAT JSON) plan reads."""
    if isinstance(plan, list):
        return set().union(*(index_names(item) for item in plan))
    if isinstance(plan, dict):
        found = {plan["Index Name"]} if "Index Name" in plan else set()
        return found.union(*(index_names(value) for value in plan.values()))
    return set()


async def test_a_like_listing_over_many_accounts_reads_the_trigram_index(
    web_engine: AsyncEngine, organization_id: int
) -> None:
    statements: list[tuple[str, Any]] = []
    event.listen(
        web_engine.sync_engine,
        "before_cursor_execute",
        lambda _conn, _cursor, statement, parameters, *_: statements.append(
            (statement, parameters)
        ),
    )
    async with async_sessions(web_engine)() as session:
        names = await listed_names(session, organization_id, "%01234%")
        # The very statement the listing ran, with its values.
        statement, parameters = statements[-1]
        connection = await session.connection()
        plan = (
            await connection.exec_driver_sql(f"EXPLAIN (FORMAT JSON) {statement}", parameters)
        ).scalar_one()
    assert names == ["LIKE_0001234"]
    assert TRIGRAM_INDEX in index_names(plan), plan


async def test_every_pattern_is_planned_for_its_own_value_on_a_reused_connection(
    web_engine: AsyncEngine, organization_id: int
) -> None:
    # asyncpg prepares the listing once per connection; a generic plan cached for it would read
    # the trigram index even for `%`, which has no trigram: the whole index, every time.
    patterns = [f"%{n:05d}%" for n in range(1, 8)] + ["%", "%1%"] * 4
    async with async_sessions(web_engine)() as session:
        for pattern in patterns:
            await listed_names(session, organization_id, pattern)
        plans = (
            await session.execute(
                text(
                    "SELECT generic_plans, custom_plans FROM pg_prepared_statements"
                    " WHERE statement LIKE 'SELECT accounts.id%'"
                )
            )
        ).all()
    assert plans, "the listing ran as a prepared statement"
    assert all(generic == 0 for generic, _ in plans), plans
