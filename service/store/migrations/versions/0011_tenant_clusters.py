"""tenant clusters: the registry, each account's cluster, and a trigger that counts placements

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06 17:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# An account holds a slot of its cluster from its insert until it is purged or its create
# fails (or it leaves for another cluster). The counter is kept by the database, whatever path
# changes the rows (creates one by one or in batches, purge batches, cancellations, moves).
_HOLDS = "cluster IS NOT NULL AND state NOT IN ('PURGED', 'FAILED')"
# Deltas are applied cluster by cluster in name order, so two transactions that touch the same
# clusters lock their rows in the same order (placement locks them in that order too).
_DELTAS = {
    "INSERT": "SELECT cluster, count(*) AS n FROM new_rows WHERE {holds} GROUP BY cluster",
    "DELETE": "SELECT cluster, -count(*) AS n FROM old_rows WHERE {holds} GROUP BY cluster",
    "UPDATE": (
        "SELECT cluster, sum(delta) AS n FROM (SELECT cluster, 1 AS delta FROM new_rows "
        "WHERE {holds} UNION ALL SELECT cluster, -1 FROM old_rows WHERE {holds}) changes "
        "GROUP BY cluster HAVING sum(delta) <> 0"
    ),
}
_APPLY = """
        FOR change IN {deltas} ORDER BY 1 LOOP
            UPDATE tenant_clusters SET placed_accounts = placed_accounts + change.n
            WHERE name = change.cluster;
        END LOOP;"""
_COUNT_FUNCTION = f"""
CREATE FUNCTION tenant_clusters_count_placed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    change record;
BEGIN
    IF TG_OP = 'INSERT' THEN{_APPLY.format(deltas=_DELTAS["INSERT"].format(holds=_HOLDS))}
    ELSIF TG_OP = 'DELETE' THEN{_APPLY.format(deltas=_DELTAS["DELETE"].format(holds=_HOLDS))}
    ELSE{_APPLY.format(deltas=_DELTAS["UPDATE"].format(holds=_HOLDS))}
    END IF;
    RETURN NULL;
END
$$
"""
_TRIGGERS = {
    "INSERT": "REFERENCING NEW TABLE AS new_rows",
    "UPDATE": "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows",
    "DELETE": "REFERENCING OLD TABLE AS old_rows",
}


def upgrade() -> None:
    op.create_table(
        "tenant_clusters",
        sa.Column("name", sa.String(63), primary_key=True),
        sa.Column("region", sa.String(64), nullable=False),
        sa.Column("sealed_url", sa.Text(), nullable=False),
        sa.Column("public_host", sa.String(255), nullable=False),
        sa.Column("public_port", sa.Integer(), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False, server_default="open"),
        sa.Column("placed_accounts", sa.Integer(), nullable=False, server_default="0"),
        sa.Column(
            "created_on", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column("last_ok_on", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("last_error_on", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "state IN ('open', 'draining', 'closed')", name=op.f("ck_tenant_clusters_state")
        ),
        sa.CheckConstraint("capacity >= 0", name=op.f("ck_tenant_clusters_capacity")),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_tenant_clusters")),
    )
    op.create_index("ix_tenant_clusters_region", "tenant_clusters", ["region", "state"])
    op.add_column("accounts", sa.Column("cluster", sa.String(63), nullable=True))
    op.create_foreign_key(
        op.f("fk_accounts_cluster_tenant_clusters"),
        "accounts",
        "tenant_clusters",
        ["cluster"],
        ["name"],
        onupdate="CASCADE",
    )
    op.create_index("ix_accounts_cluster", "accounts", ["cluster"])
    op.execute(_COUNT_FUNCTION)
    for event, transition in _TRIGGERS.items():
        op.execute(
            f"CREATE TRIGGER accounts_count_placed_{event.lower()} AFTER {event} ON accounts "
            f"{transition} FOR EACH STATEMENT EXECUTE FUNCTION tenant_clusters_count_placed()"
        )


def downgrade() -> None:
    for event in _TRIGGERS:
        op.execute(f"DROP TRIGGER accounts_count_placed_{event.lower()} ON accounts")
    op.execute("DROP FUNCTION tenant_clusters_count_placed()")
    op.drop_index("ix_accounts_cluster", table_name="accounts")
    op.drop_constraint(op.f("fk_accounts_cluster_tenant_clusters"), "accounts", type_="foreignkey")
    op.drop_column("accounts", "cluster")
    op.drop_index("ix_tenant_clusters_region", table_name="tenant_clusters")
    op.drop_table("tenant_clusters")
