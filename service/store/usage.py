"""What the usage scan reads and writes: the measured accounts' flags, their usage rows (all in
one statement), the cluster's totals."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime

from sqlalchemy import Text, any_, bindparam, func, select
from sqlalchemy.dialects.postgresql import ARRAY, insert
from sqlalchemy.orm import Session

from service.domain.lifecycle import LIVE_STATES, PENDING_OPERATION_STATES
from service.domain.tenants import PREFIX
from service.domain.usage import Flag
from service.store.constraints import unique_index_met_now
from service.store.models import (
    Account,
    AccountUsage,
    Operation,
    cluster_usage_table,
    usage_table,
)
from service.store.unnested import Unnested


@dataclass(frozen=True)
class MeasuredAccount:
    """A live account whose database the scan found, with the flag the last scan left."""

    account_id: int
    name: str
    database: str
    edition: str
    flag: Flag


@dataclass(frozen=True)
class UsageRow:
    """One account's row as this scan writes it."""

    account_id: int
    cluster: str
    storage_bytes: int
    connections: int
    measured_on: datetime
    over_limit: str | None
    over_limit_since: datetime | None
    near_limit: str | None
    suspend_due: bool


@dataclass(frozen=True)
class ClusterTotals:
    cluster: str
    accounts: int
    storage_bytes: int
    connections: int
    over_storage: int
    over_connections: int
    near_storage: int
    near_connections: int
    over_limit_events: int  # transitions into over-limit in this scan (added to the counter)
    measured_on: datetime


def lock_cluster(session: Session, cluster: str) -> datetime | None:
    """Serialize the scans of one cluster (until the transaction ends); when it was last
    measured."""
    session.execute(select(func.pg_advisory_xact_lock(func.hashtext(f"usage-scan:{cluster}"))))
    measured: datetime | None = session.scalar(
        select(cluster_usage_table.c.measured_on).where(cluster_usage_table.c.cluster == cluster)
    )
    return measured


def locator_of(database: str) -> str | None:
    """The account locator a tenant database is named after (`acct_yo304090` -> `YO304090`)."""
    return database.removeprefix(PREFIX).upper() if database.startswith(PREFIX) else None


def measured_accounts(session: Session, databases: list[str]) -> list[MeasuredAccount]:
    """The live accounts owning `databases` (looked up by locator: its unique index), with
    their previous flags."""
    locators = [locator for locator in map(locator_of, databases) if locator is not None]
    rows = session.execute(
        select(
            Account.id,
            Account.name,
            Account.tenant_database,
            Account.edition,
            AccountUsage.over_limit,
            AccountUsage.over_limit_since,
            AccountUsage.suspend_due,
        )
        .outerjoin(AccountUsage, AccountUsage.account_id == Account.id)
        .where(
            # One array parameter, whatever the number of accounts (not one bind each).
            Account.account_locator == any_(bindparam("locators", locators, type_=ARRAY(Text()))),
            Account.state.in_(LIVE_STATES),
        )
    )
    return [
        MeasuredAccount(account_id, name, str(database), edition, Flag(reason, since, bool(due)))
        for account_id, name, database, edition, reason, since, due in rows
        if database is not None
    ]


_ROWS = Unnested(UsageRow)
_NAMES = _ROWS.names
_UPSERT = insert(usage_table).from_select(_NAMES, _ROWS.select)
_UPSERT = _UPSERT.on_conflict_do_update(
    index_elements=[usage_table.c.account_id],
    set_={name: _UPSERT.excluded[name] for name in _NAMES if name != "account_id"},
)


def write_usage(session: Session, rows: list[UsageRow]) -> None:
    """Every measured account's row in one statement (arrays unnested)."""
    if rows:
        session.execute(_UPSERT, _ROWS.arrays(rows))


def write_totals(session: Session, totals: ClusterTotals) -> None:
    """The cluster's totals; its over-limit counter adds this scan's transitions."""
    values = {field.name: getattr(totals, field.name) for field in fields(ClusterTotals)}
    statement = insert(cluster_usage_table).values(values)
    counter = cluster_usage_table.c.over_limit_events
    session.execute(
        statement.on_conflict_do_update(
            index_elements=[cluster_usage_table.c.cluster],
            set_={
                **{name: statement.excluded[name] for name in values if name != "cluster"},
                "over_limit_events": counter + statement.excluded.over_limit_events,
            },
        )
    )


def note_suspension(session: Session, account_id: int, reason: str | None) -> None:
    """The suspension is no longer due: queued for `reason`, or not needed (None)."""
    session.execute(
        usage_table.update()
        .where(usage_table.c.account_id == account_id)
        .values(suspend_due=False, suspended_reason=reason)
    )


def lock_account(session: Session, account_id: int) -> Account | None:
    """The account, locked; None when another transaction holds it (a worker mid-step, an
    accept): the scan does not wait, it tries again next time."""
    found: Account | None = session.scalar(
        select(Account).where(Account.id == account_id).with_for_update(skip_locked=True)
    )
    return found


def has_operation_in_flight(session: Session, account_id: int) -> bool:
    return (
        session.scalar(
            select(Operation.id)
            .where(Operation.account_id == account_id)
            .where(Operation.state.in_(PENDING_OPERATION_STATES))
        )
        is not None
    )


def add_operation_now(session: Session, operation: Operation) -> str | None:
    """Write a new operation in a savepoint: None when written, else the unique index it met."""

    def write() -> None:
        with session.begin_nested():
            session.add(operation)

    return unique_index_met_now(write)
