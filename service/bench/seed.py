"""Bulk rows for the benchmark: many accounts in one statement, as a long-lived org would have."""

from __future__ import annotations

from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from service.domain.lifecycle import AccountState
from service.domain.roles import Role
from service.store.tokens import ensure_organization, issue_token

# The same columns the create use case fills; names are NAME_PREFIX + a zero-padded number.
_INSERT_ACCOUNTS = text(
    """
    INSERT INTO accounts (
        organization_id, name, state, account_locator, tenant_database, tenant_role, edition,
        region, region_group, enabled, deletion_protection, managed_accounts, is_org_admin,
        retention_time, is_events_account, dropped_on, scheduled_deletion_time, cluster
    )
    SELECT :organization_id, :prefix || lpad(n::text, 7, '0'), :state,
           :locator_prefix || lpad(n::text, 7, '0'),
           :database_prefix || lower(:locator_prefix || lpad(n::text, 7, '0')),
           'bench_' || :locator_prefix || n, 'STANDARD',
           'AWS_US_WEST_2', 'PUBLIC', true, false, 0, false, 1, false,
           CASE WHEN :dropped THEN now() - interval '4 days' END,
           CASE WHEN :dropped THEN now() - interval '1 minute' END,
           CAST(:cluster AS varchar)
    FROM generate_series(1, :count) AS n
    """
)
_INSERT_CLUSTER = text(
    """
    INSERT INTO tenant_clusters (name, region, sealed_url, public_host, public_port, capacity)
    VALUES (:name, :region, 'not a cluster: provisioner bench', '127.0.0.1', 5432, :capacity)
    """
)


def organization_token(engine: Engine, organization: str) -> tuple[int, str]:
    """An organization (created when missing) and a new admin token of it."""
    with Session(engine) as session, session.begin():
        org = ensure_organization(session, organization)
        token = issue_token(session, org, Role.ADMIN, "provisioner bench")
        return org.id, token


def insert_accounts(
    engine: Engine,
    organization_id: int,
    *,
    prefix: str,
    locator_prefix: str,
    count: int,
    dropped: bool,
    database_prefix: str = "bench_",
    cluster: str | None = None,
) -> None:
    """`count` ACTIVE accounts, or DROPPED ones whose grace period ended a minute ago; their
    databases are named `database_prefix` + their locator in lower case."""
    with engine.begin() as connection:
        connection.execute(
            _INSERT_ACCOUNTS,
            {
                "organization_id": organization_id,
                "prefix": prefix,
                "locator_prefix": locator_prefix,
                "count": count,
                "state": (AccountState.DROPPED if dropped else AccountState.ACTIVE).value,
                "dropped": dropped,
                "database_prefix": database_prefix,
                "cluster": cluster,
            },
        )
        connection.execute(text("ANALYZE accounts"))


def register_clusters(engine: Engine, names: list[str], *, region: str, capacity: int) -> None:
    """Open tenant clusters in the registry, as `clusters add` leaves them (no server behind
    them: only accepts and scans that never reach a cluster may use them)."""
    with engine.begin() as connection:
        for name in names:
            connection.execute(
                _INSERT_CLUSTER, {"name": name, "region": region, "capacity": capacity}
            )


def forget_clusters(engine: Engine) -> None:
    """An empty registry again: accounts placed on the clusters forget them, the clusters go."""
    with engine.begin() as connection:
        connection.execute(text("UPDATE accounts SET cluster = NULL WHERE cluster IS NOT NULL"))
        connection.execute(text("DELETE FROM tenant_clusters"))
