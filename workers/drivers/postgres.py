"""The real driver: each account is a database on a tenant PostgreSQL cluster, owned by a login.

Every step checks what exists before it acts, so a retry, or a run resumed after a crash
between two statements, converges instead of failing with "already exists".
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import cast

import structlog
from psycopg import sql
from sqlalchemy.engine import make_url

from service.domain.account_spec import AccountSpec
from service.domain.plans import PlanLimits
from service.domain.schemas import Edition
from service.domain.tenants import LOGIN_ATTRIBUTES, PREFIX, connection_url
from service.usecases.operations import DriverOutcome
from workers.drivers.base import DatabaseUsage, DriverError
from workers.drivers.tenant_cluster import (
    LOCK_TIMEOUT_MS,
    Connection,
    connect,
    create_closed_database,
    drop_database_and_role,
    open_database,
    role_exists,
    terminate_sessions,
)

_log = structlog.get_logger(__name__)


class PostgresDriver:
    def __init__(
        self,
        tenant_url: str,
        *,
        plans: dict[Edition, PlanLimits],
        public_host: str | None = None,
        public_port: int | None = None,
        statement_timeout_seconds: float = 30.0,
    ) -> None:
        url = make_url(tenant_url).set(drivername="postgresql")
        self._conninfo = url.render_as_string(hide_password=False)
        self._plans = plans
        self._host = public_host or url.host or "127.0.0.1"
        self._port = public_port or url.port or 5432
        self._options = (
            f"-c lock_timeout={LOCK_TIMEOUT_MS} "
            f"-c statement_timeout={int(statement_timeout_seconds * 1000)}"
        )

    def _connect(self) -> AbstractContextManager[Connection]:
        return connect(self._conninfo, self._options)

    def probe(self, timeout_seconds: int) -> None:
        """`SELECT 1` on a fresh session: ClusterUnreachable when the cluster does not answer."""
        with connect(
            self._conninfo, self._options, harden=False, timeout_seconds=timeout_seconds
        ) as connection:
            connection.execute("SELECT 1")

    def _credentials(self, account: AccountSpec) -> dict[str, object]:
        return {
            "user": account.tenant_role,
            "database": account.tenant_database,
            "host": self._host,
            "port": self._port,
            "url": self._url(account),
        }

    def _url(self, account: AccountSpec) -> str:
        return connection_url(account.tenant_role, self._host, self._port, account.tenant_database)

    def _limit(self, edition: str) -> int:
        return self._plans[Edition(edition)].connections

    def create(self, account: AccountSpec) -> DriverOutcome:
        """Login first, then the database closed to everyone until PUBLIC's rights are gone."""
        verifier = _require_verifier(account)
        limit = sql.Literal(self._limit(account.edition))
        role = sql.Identifier(account.tenant_role)
        with self._connect() as connection:
            account.progress("creating the administrator role")
            verb = "ALTER" if role_exists(connection, account.tenant_role) else "CREATE"
            connection.execute(
                sql.SQL(
                    verb + " ROLE {} WITH " + LOGIN_ATTRIBUTES + " CONNECTION LIMIT {} PASSWORD {}"
                ).format(role, limit, sql.Literal(verifier))
            )
            create_closed_database(
                connection,
                account.tenant_database,
                account.tenant_role,
                self._limit(account.edition),
                account.progress,
            )
            account.progress("opening the database to its login")
            open_database(connection, account.tenant_database)
        url = self._url(account)
        return DriverOutcome(
            account_url=url, account_locator_url=url, credentials=self._credentials(account)
        )

    def drop(self, account: AccountSpec) -> DriverOutcome:
        """Lock the account for its grace period: no logins, sessions ended, nothing deleted."""
        with self._connect() as connection:
            _require_role(connection, account.tenant_role)
            account.progress("locking the login")
            connection.execute(
                sql.SQL("ALTER ROLE {} NOLOGIN").format(sql.Identifier(account.tenant_role))
            )
            account.progress("terminating sessions")
            self._terminate(connection, account)
        return DriverOutcome()

    def undrop(self, account: AccountSpec) -> DriverOutcome:
        with self._connect() as connection:
            _require_role(connection, account.tenant_role)
            if account.enabled:  # a suspended account stays suspended
                account.progress("unlocking the login")
                connection.execute(
                    sql.SQL("ALTER ROLE {} LOGIN").format(sql.Identifier(account.tenant_role))
                )
        return DriverOutcome()

    def update(self, account: AccountSpec) -> DriverOutcome:
        """Edition: the database's connection limit; enabled: suspend or resume logins.
        A rename changes nothing here: names on the cluster derive from the locator."""
        patch = account.request.get("patch", {})
        role = sql.Identifier(account.tenant_role)
        with self._connect() as connection:
            _require_role(connection, account.tenant_role)
            warnings: list[str] = []
            if "edition" in patch:
                account.progress("applying the edition's limits")
                warnings = self._apply_plan(connection, account, str(patch["edition"]))
            if patch.get("enabled") is True:
                account.progress("resuming logins")
                connection.execute(sql.SQL("ALTER ROLE {} LOGIN").format(role))
            elif patch.get("enabled") is False:
                account.progress("suspending logins")
                connection.execute(sql.SQL("ALTER ROLE {} NOLOGIN").format(role))
                self._terminate(connection, account)
        return DriverOutcome(warnings=warnings)

    def _apply_plan(self, connection: Connection, account: AccountSpec, edition: str) -> list[str]:
        """Both connection limits (the role's binds: a login cannot lift it), then what is over."""
        plan = self._plans[Edition(edition)]
        limit = sql.Literal(plan.connections)
        connection.execute(
            sql.SQL("ALTER ROLE {} WITH CONNECTION LIMIT {}").format(
                sql.Identifier(account.tenant_role), limit
            )
        )
        connection.execute(
            sql.SQL("ALTER DATABASE {} WITH CONNECTION LIMIT {}").format(
                sql.Identifier(account.tenant_database), limit
            )
        )
        size, sessions = connection.execute(
            "SELECT pg_database_size(%s), (SELECT count(*) FROM pg_stat_activity "
            "WHERE usename = %s AND backend_type = 'client backend')",
            (account.tenant_database, account.tenant_role),
        ).fetchone() or (0, 0)
        return _below_use(account, edition, plan, cast("int", size), cast("int", sessions))

    def _terminate(self, connection: Connection, account: AccountSpec) -> None:
        terminate_sessions(connection, account.tenant_database, account.tenant_role)

    def purge(self, account: AccountSpec) -> DriverOutcome:
        with self._connect() as connection:
            drop_database_and_role(
                connection, account.tenant_database, account.tenant_role, account.progress
            )
        return DriverOutcome()

    def measure_usage(self) -> list[DatabaseUsage]:
        with self._connect() as connection:
            rows = connection.execute(_USAGE, (PREFIX.replace("_", "\\_") + "%",)).fetchall()
        return [
            DatabaseUsage(str(name), cast("int", size), cast("int", sessions))
            for name, size, sessions in rows
        ]

    def rotate(self, account: AccountSpec) -> DriverOutcome:
        verifier = _require_verifier(account)
        with self._connect() as connection:
            _require_role(connection, account.tenant_role)
            account.progress("setting the new password")
            connection.execute(
                sql.SQL("ALTER ROLE {} PASSWORD {}").format(
                    sql.Identifier(account.tenant_role), sql.Literal(verifier)
                )
            )
        return DriverOutcome(credentials=self._credentials(account))


# Sizes come from the files on disk (pg_database_size needs no CONNECT on the database);
# sessions of client backends only, counted per database as its CONNECTION LIMIT counts them.
_USAGE = (
    "SELECT d.datname, pg_database_size(d.oid), count(a.pid) FROM pg_database d "
    "LEFT JOIN pg_stat_activity a ON a.datid = d.oid AND a.backend_type = 'client backend' "
    "WHERE d.datname LIKE %s GROUP BY d.oid, d.datname"
)


def _require_verifier(account: AccountSpec) -> str:
    if not account.password_verifier:
        raise DriverError(f"no password verifier for account {account.name}")
    return account.password_verifier


def _require_role(connection: Connection, role: str) -> None:
    if not role_exists(connection, role):
        raise DriverError("the account's login does not exist on the tenant cluster")


def _below_use(
    account: AccountSpec, edition: str, plan: PlanLimits, size: int, sessions: int
) -> list[str]:
    warnings = []
    if sessions > plan.connections:
        warnings.append(
            f"the {edition} plan allows {plan.connections} connections; {sessions} are open "
            f"(new sessions are refused until fewer than {plan.connections} remain)"
        )
    if size > plan.storage_bytes:
        warnings.append(
            f"the {edition} plan allows {plan.storage_bytes} bytes of storage; "
            f"the database holds {size}"
        )
    if warnings:
        _log.warning(
            "account.limit_below_use",
            account=account.name,
            edition=edition,
            connections=sessions,
            connection_limit=plan.connections,
            storage_bytes=size,
            storage_limit=plan.storage_bytes,
        )
    return warnings
