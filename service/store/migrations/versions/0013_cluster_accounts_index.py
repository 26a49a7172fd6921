"""cluster accounts index: a cluster's accounts by id, for the paged cluster accounts list

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06 23:05:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # (cluster, id) replaces (cluster): a page of `GET /api/v2/clusters/{name}/accounts` reads
    # the next ids of one cluster from the index instead of sorting all of its accounts, and
    # every lookup by cluster alone is served as before. Built without blocking writes.
    with op.get_context().autocommit_block():
        op.create_index(
            "ix_accounts_cluster_id",
            "accounts",
            ["cluster", "id"],
            postgresql_concurrently=True,
            if_not_exists=True,
        )
        op.drop_index(
            "ix_accounts_cluster",
            table_name="accounts",
            postgresql_concurrently=True,
            if_exists=True,
        )


def downgrade() -> None:
    with op.get_context().autocommit_block():
        op.create_index(
            "ix_accounts_cluster",
            "accounts",
            ["cluster"],
            postgresql_concurrently=True,
            if_not_exists=True,
        )
        op.drop_index(
            "ix_accounts_cluster_id",
            table_name="accounts",
            postgresql_concurrently=True,
            if_exists=True,
        )
