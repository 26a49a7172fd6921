"""Rows for tests that reach the control database directly: operations written the way the
API writes them, and counts of what a query selects."""

from __future__ import annotations

import secrets
from dataclasses import fields
from datetime import timedelta
from typing import Any

from sqlalchemy import Engine, Select, func, select, update
from sqlalchemy.orm import Session

from service.domain.account_spec import AccountSpec
from service.domain.lifecycle import AccountState, OperationKind
from service.domain.passwords import scram_verifier
from service.domain.tenants import tenant_names
from service.store.models import Account, Operation, Organization
from service.store.tokens import ensure_organization
from service.usecases.operations import begin_operation
from tests.conftest import Tenant
from tests.integration.api import Client, create, drop

PASSWORD = "Driver-Test-Pw-1"
_COLUMNS = frozenset(Account.__table__.columns.keys())


def new_spec(organization: str = "DRIVER_TESTS") -> AccountSpec:
    locator = "ZZ" + "".join(secrets.choice("0123456789") for _ in range(6))
    names = tenant_names(locator, "admin")
    return AccountSpec(
        organization_name=organization,
        name=f"DRIVER_{locator}",
        locator=locator,
        edition="STANDARD",
        region="AWS_US_WEST_2",
        tenant_database=names.database,
        tenant_role=names.role,
        request={},
        password_verifier=scram_verifier(PASSWORD),
    )


def queued_create(engine: Engine, spec: AccountSpec) -> Operation:
    """An accepted create, committed but never published."""
    with Session(engine, expire_on_commit=False) as session, session.begin():
        organization = ensure_organization(session, spec.organization_name)
        # What the spec says of the account itself: its fields that are the row's columns.
        described = {f.name: getattr(spec, f.name) for f in fields(spec) if f.name in _COLUMNS}
        account = Account(
            organization_id=organization.id,
            state=AccountState.CREATING,
            account_locator=spec.locator,
            **described,
        )
        session.add(account)
        session.flush()
        operation = begin_operation(account, OperationKind.CREATE, {}, "test-rows")
        operation.password_verifier = spec.password_verifier
        session.add(operation)
    return operation


async def past_grace(client: Client, tenant: Tenant, engine: Engine, name: str) -> None:
    """Create and drop an account, then end its grace period: the next purge scan takes it."""
    await create(client, tenant, name)
    await drop(client, tenant, name)
    end_grace_period(engine, tenant.name, name.upper())


def end_grace_period(engine: Engine, organization: str, name: str) -> None:
    """Move the clock for one dropped account: its grace period ended a day ago."""
    with Session(engine) as session, session.begin():
        organization_id = session.scalar(
            select(Organization.id).where(Organization.name == organization)
        )
        session.execute(
            update(Account)
            .where(Account.name == name, Account.organization_id == organization_id)
            .values(scheduled_deletion_time=Account.scheduled_deletion_time - timedelta(days=4))
        )


def operations_of(
    engine: Engine, organization: str, name: str, kind: OperationKind
) -> list[Operation]:
    """The operations of one kind on the organization's account `name`, oldest first."""
    with Session(engine) as session:
        return list(
            session.scalars(
                select(Operation)
                .join(Account, Account.id == Operation.account_id)
                .join(Organization, Organization.id == Account.organization_id)
                .where(
                    Organization.name == organization,
                    Account.name == name,
                    Operation.kind == kind,
                )
                .order_by(Operation.created_at)
            )
        )


def row_count(engine: Engine, query: Select[Any]) -> int:
    """How many rows `query` selects."""
    with Session(engine) as session:
        return session.scalar(select(func.count()).select_from(query.subquery())) or 0
