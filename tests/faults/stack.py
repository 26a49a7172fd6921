"""A whole deployment in real processes, whose servers the fault scenarios stop and start."""

from __future__ import annotations

import asyncio
import socket
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import psycopg
from sqlalchemy import Engine, func, select, update
from sqlalchemy.orm import Session

from service.adapters.embedded import EmbeddedServers
from service.domain.lifecycle import (
    TERMINAL_OPERATION_STATES,
    AccountState,
    OperationKind,
    OperationState,
)
from service.store.models import Account, Operation
from tests.processes import ServiceProcess
from tests.tallies import Tally, shown

SETTLE_SECONDS = 60.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Report(Tally):
    """What one scenario did: every accepted operation must complete exactly once."""

    scenario: str = shown("<44", label="", default="")
    submitted: int = shown("<4")
    completed: int = shown("<4")
    lost: int = shown("<3")
    duplicated: int = shown()


@dataclass
class Stack:
    servers: EmbeddedServers
    engine: Engine
    base_url: str
    token: str
    processes: dict[str, ServiceProcess]

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    async def create(
        self, http: aiohttp.ClientSession, name: str, **headers: str
    ) -> tuple[int, str | None]:
        body = {
            "name": name,
            "admin_name": "admin",
            "email": "a@example.com",
            "edition": "STANDARD",
            "admin_password": "Fault-Suite-Pw-1",
        }
        async with http.post(
            f"{self.base_url}/api/v2/accounts", json=body, headers={**self.headers, **headers}
        ) as response:
            await response.read()
            return response.status, response.headers.get("Location")

    def operations(self, handles: list[str]) -> list[Operation]:
        ids = [uuid.UUID(handle.rsplit("/", 1)[1]) for handle in handles]
        with Session(self.engine) as session:
            return list(session.scalars(select(Operation).where(Operation.id.in_(ids))).all())

    async def settle(self, handles: list[str]) -> None:
        """Wait until every operation is terminal (or give up after a minute)."""
        deadline = time.monotonic() + SETTLE_SECONDS
        while time.monotonic() < deadline:
            pending = [
                o for o in self.operations(handles) if o.state not in TERMINAL_OPERATION_STATES
            ]
            if not pending:
                return
            await asyncio.sleep(0.25)

    def make_due(self, name_prefix: str) -> int:
        """Move the deletion time of the prefix's dropped accounts into the past; how many."""
        with Session(self.engine) as session, session.begin():
            result = session.execute(
                update(Account)
                .where(
                    Account.name.like(f"{name_prefix.upper()}%"),
                    Account.state == AccountState.DROPPED,
                )
                .values(scheduled_deletion_time=datetime.now(UTC) - timedelta(hours=1))
            )
            return int(getattr(result, "rowcount", 0) or 0)

    def purges_per_account(self, name_prefix: str) -> dict[str, int]:
        with Session(self.engine) as session:
            rows = session.execute(
                select(Account.name, func.count(Operation.id))
                .join(Operation, Operation.account_id == Account.id)
                .where(
                    Account.name.like(f"{name_prefix.upper()}%"),
                    Operation.kind == OperationKind.PURGE,
                )
                .group_by(Account.name)
            ).all()
        return {str(name): int(count) for name, count in rows}

    def tally(self, report: Report, handles: list[str], name_prefix: str) -> Report:
        """completed = succeeded operations; lost = accepted but never done (or done without a
        tenant database); duplicated = more than one live account row for one name."""
        succeeded = [o for o in self.operations(handles) if o.state == OperationState.SUCCEEDED]
        report.completed = len(succeeded)
        with Session(self.engine) as session:
            rows = session.execute(
                select(Account.name, Account.tenant_database).where(
                    Account.name.like(f"{name_prefix.upper()}%"),
                    Account.state.not_in([AccountState.FAILED, AccountState.PURGED]),
                )
            ).all()
        names = [str(name) for name, _ in rows]
        report.duplicated = len(names) - len(set(names))
        with psycopg.connect(self.servers.tenant_url) as connection:
            existing = {
                str(row[0])
                for row in connection.execute("SELECT datname FROM pg_database").fetchall()
            }
        missing = sum(1 for _, database in rows if database not in existing)
        report.lost = report.submitted - report.completed + missing
        return report


async def poll_json(http: aiohttp.ClientSession, url: str, headers: dict[str, str]) -> Any:
    async with http.get(url, headers=headers) as response:
        return response.status, await response.json()
