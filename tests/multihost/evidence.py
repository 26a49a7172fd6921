"""What a multi-host run proves, read from where it is recorded: the control database (states,
attempts), the tenant clusters (databases and roles) and the workers' JSON logs (each
operation's outcomes)."""

from __future__ import annotations

import json
import uuid
from collections import Counter
from dataclasses import dataclass
from typing import Any

import psycopg
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from service.domain.lifecycle import TERMINAL_OPERATION_STATES, OperationState
from service.domain.tenants import PREFIX
from service.store.models import Account, Operation
from tests.tallies import Tally, shown

# A worker logs one of these when it is done with a delivery (a retry waits for the next one).
DELIVERY_ENDS = frozenset(
    {"operation.succeeded", "operation.failed", "operation.retry", "operation.skipped"}
)


def log_events(log: str) -> list[dict[str, Any]]:
    """The JSON lines of a worker's log (Celery's own banner lines are not JSON)."""
    found = []
    for line in log.splitlines():
        if line.startswith("{"):
            try:
                found.append(json.loads(line))
            except json.JSONDecodeError:
                continue
    return found


def running(log: str) -> dict[str, str]:
    """Operations a worker started and has not finished with: id -> account name."""
    started: dict[str, str] = {}
    ended = set()
    for event in log_events(log):
        if event.get("event") == "operation.running":
            started[event["operation_id"]] = event.get("account", "")
        elif event.get("event") in DELIVERY_ENDS and "operation_id" in event:
            ended.add(event["operation_id"])
    return {operation: name for operation, name in started.items() if operation not in ended}


def successes(logs: list[str]) -> Counter[str]:
    """How many times the workers recorded each operation as succeeded."""
    return Counter(
        event["operation_id"]
        for log in logs
        for event in log_events(log)
        if event.get("event") == "operation.succeeded"
    )


Rows = list[tuple[Operation, Account]]


def operations(engine: Engine, handles: list[str]) -> Rows:
    ids = [uuid.UUID(handle.rsplit("/", 1)[1]) for handle in handles]
    with Session(engine) as session:
        rows = session.execute(
            select(Operation, Account)
            .join(Account, Account.id == Operation.account_id)
            .where(Operation.id.in_(ids))
        ).all()
        return [(operation, account) for operation, account in rows]


def pending(engine: Engine, handles: list[str]) -> int:
    return sum(
        1
        for operation, _ in operations(engine, handles)
        if operation.state not in TERMINAL_OPERATION_STATES
    )


Inventory = tuple[list[str], list[str]]  # an account's databases and roles, with repeats


def tenant_inventories(tenant_urls: dict[str, str]) -> dict[str, Inventory]:
    """The accounts' databases and roles on each tenant cluster (by its name)."""
    pattern = PREFIX.replace("_", "\\_") + "%"
    found: dict[str, Inventory] = {}
    for name, url in tenant_urls.items():
        with psycopg.connect(url, connect_timeout=5) as connection:
            found[name] = (
                [
                    str(row[0])
                    for row in connection.execute(
                        "SELECT datname FROM pg_database WHERE datname LIKE %s", (pattern,)
                    )
                ],
                [
                    str(row[0])
                    for row in connection.execute(
                        "SELECT rolname FROM pg_roles WHERE rolname LIKE %s", (pattern,)
                    )
                ],
            )
    return found


def tenant_inventory(inventories: dict[str, Inventory]) -> Inventory:
    """Every cluster's inventory in one: an account must be on exactly one cluster, once."""
    databases = [name for found, _ in inventories.values() for name in found]
    return databases, [name for _, found in inventories.values() for name in found]


def misplaced(
    rows: list[tuple[Operation, Account]],
    inventories: dict[str, Inventory],
    cluster_of_region: dict[str, str],
) -> list[str]:
    """The accounts not on their region's cluster: in the control database (`cluster`), or
    with their database or role missing there or present on another cluster."""
    wrong = []
    for _, account in rows:
        home = cluster_of_region.get(account.region or "")
        owned = {account.tenant_database, account.tenant_role}
        on = {name for name, (dbs, roles) in inventories.items() if owned & {*dbs, *roles}}
        there = inventories.get(home or "", ([], []))
        complete = owned <= {*there[0], *there[1]}
        if account.cluster != home or on != {home} or not complete:
            wrong.append(f"{account.name} ({account.region}) on {account.cluster} / {sorted(on)}")
    return wrong


@dataclass
class Figures(Tally):
    """The run's numbers, as docs/operations.md reports them."""

    accepted: int = shown()
    succeeded: int = shown()
    failed: int = shown()  # terminal, not succeeded, with an error a person can read
    lost: int = shown()  # accepted but not terminal, or succeeded without its database and role
    duplicated: int = shown()  # an operation recorded twice, or a database or role made twice
    misplaced: int = shown()  # not on its region's cluster (control database or tenant hosts)
    retried: int = shown()  # operations that needed more than one attempt
    attempts: int = shown()
    logins: int = shown()
    settle_seconds: float = shown(".1f", label="settled", unit="s", default=0.0)
    total_seconds: float = shown(".1f", label="total", unit="s", default=0.0)


def tally(
    figures: Figures,
    rows: list[tuple[Operation, Account]],
    inventory: Inventory,
    recorded: Counter[str],
) -> Figures:
    """Fill in what the records say about the operations behind `rows`."""
    databases, roles = inventory
    made = Counter(databases) + Counter(roles)
    figures.succeeded = sum(1 for op, _ in rows if op.state == OperationState.SUCCEEDED)
    figures.failed = sum(
        1
        for op, _ in rows
        if op.state in TERMINAL_OPERATION_STATES
        and op.state != OperationState.SUCCEEDED
        and (op.error or "").strip()
    )
    figures.lost = figures.accepted - figures.succeeded - figures.failed
    figures.lost += sum(
        1
        for op, account in rows
        if op.state == OperationState.SUCCEEDED
        and (made[account.tenant_database or ""] != 1 or made[account.tenant_role or ""] != 1)
    )
    figures.duplicated = sum(1 for count in recorded.values() if count > 1)
    figures.duplicated += len(rows) - len({account.id for _, account in rows})
    figures.duplicated += sum(1 for count in made.values() if count > 1)
    # Made on the cluster but belonging to none of the run's accounts: an effect done twice.
    ours = {name for _, account in rows for name in (account.tenant_database, account.tenant_role)}
    figures.duplicated += len(set(made) - ours)
    figures.retried = sum(1 for op, _ in rows if op.attempts > 1)
    figures.attempts = sum(op.attempts for op, _ in rows)
    return figures
