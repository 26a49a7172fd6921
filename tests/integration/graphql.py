"""GraphQL through a real client (gql over HTTP) against the test app, and accounts written
straight to the control database for tests that need many."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from gql import Client, GraphQLRequest
from gql.client import AsyncClientSession
from gql.transport.aiohttp import AIOHTTPTransport
from gql.transport.exceptions import TransportQueryError
from sqlalchemy import Engine, event, insert
from sqlalchemy.orm import Session

from service.domain.lifecycle import AccountState, OperationKind, OperationState
from service.domain.roles import Role
from service.store.models import Account, Operation
from service.store.tokens import ensure_organization
from service.web.keys import SESSIONS
from tests.conftest import Tenant
from tests.integration.api import Client as HttpClient

PATH = "/api/v2/graphql"


@asynccontextmanager
async def graphql_session(
    client: HttpClient, tenant: Tenant, role: Role = Role.ADMIN
) -> AsyncIterator[AsyncClientSession]:
    transport = AIOHTTPTransport(url=str(client.make_url(PATH)), headers=tenant.headers(role))
    async with Client(transport=transport, fetch_schema_from_transport=False) as session:
        yield session


async def run(session: AsyncClientSession, document: str, **variables: Any) -> dict[str, Any]:
    """The `data` of a query that must succeed."""
    return await session.execute(GraphQLRequest(document, variable_values=variables or None))


async def refusal(session: AsyncClientSession, document: str, **variables: Any) -> dict[str, Any]:
    """The first error of a query that must fail (with `extensions.code` and a message)."""
    with pytest.raises(TransportQueryError) as raised:
        await session.execute(GraphQLRequest(document, variable_values=variables or None))
    assert raised.value.errors, raised.value
    error: dict[str, Any] = raised.value.errors[0]
    assert error["extensions"]["request_id"]
    return error


@contextmanager
def statements_of(client: HttpClient) -> Iterator[list[str]]:
    """The statements the API's own engine (inside its session factory) runs meanwhile; clear
    the list to start counting afresh."""
    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        statements.append(statement)

    sync_engine = client.app[SESSIONS].kw["bind"].sync_engine
    event.listen(sync_engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(sync_engine, "before_cursor_execute", count)


def seed_accounts(
    engine: Engine, tenant: Tenant, count: int, prefix: str = "ACC", operations: int = 0
) -> list[str]:
    """`count` ACTIVE accounts written directly (no worker), created a second apart, in one
    statement, each with `operations` finished updates; their names, in name order."""
    start = datetime.now(UTC) - timedelta(days=1)
    with Session(engine) as session, session.begin():
        organization = ensure_organization(session, tenant.name)
        rows = [
            {
                "organization_id": organization.id,
                "name": f"{prefix}_{index:04d}",
                "state": AccountState.ACTIVE,
                "account_locator": uuid.uuid4().hex[:16].upper(),
                "edition": "STANDARD",
                "region": "AWS_US_WEST_2",
                "external_id": f"ext-{prefix}-{index}",
                "created_on": start + timedelta(seconds=count - index),
            }
            for index in range(count)
        ]
        ids = session.scalars(insert(Account).returning(Account.id), rows).all()
        updates = [
            {
                "organization_id": organization.id,
                "account_id": account_id,
                "kind": OperationKind.UPDATE,
                "state": OperationState.SUCCEEDED,
                "created_at": start + timedelta(minutes=number),
            }
            for account_id in ids
            for number in range(operations)
        ]
        if updates:
            session.execute(insert(Operation), updates)
    return [str(row["name"]) for row in rows]
