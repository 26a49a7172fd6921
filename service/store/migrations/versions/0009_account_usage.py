"""account usage: each account's measured storage and connections, each cluster's totals

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06 14:20:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FLAGGED = "over_limit IS NOT NULL OR near_limit IS NOT NULL"


def upgrade() -> None:
    op.create_table(
        "account_usage",
        sa.Column("account_id", sa.BigInteger(), nullable=False),
        sa.Column("cluster", sa.String(length=63), nullable=False),
        sa.Column("storage_bytes", sa.BigInteger(), nullable=False),
        sa.Column("connections", sa.Integer(), nullable=False),
        sa.Column("measured_on", sa.DateTime(timezone=True), nullable=False),
        sa.Column("over_limit", sa.Text(), nullable=True),
        sa.Column("over_limit_since", sa.DateTime(timezone=True), nullable=True),
        sa.Column("near_limit", sa.Text(), nullable=True),
        sa.Column("suspend_due", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("suspended_reason", sa.String(length=32), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_account_usage_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("account_id", name=op.f("pk_account_usage")),
    )
    op.create_index(
        "ix_account_usage_flagged",
        "account_usage",
        ["account_id"],
        postgresql_where=sa.text(FLAGGED),
    )
    op.create_table(
        "cluster_usage",
        sa.Column("cluster", sa.String(length=63), nullable=False),
        sa.Column("accounts", sa.Integer(), nullable=False),
        sa.Column("storage_bytes", sa.BigInteger(), nullable=False),
        sa.Column("connections", sa.Integer(), nullable=False),
        sa.Column("over_storage", sa.Integer(), nullable=False),
        sa.Column("over_connections", sa.Integer(), nullable=False),
        sa.Column("near_storage", sa.Integer(), nullable=False),
        sa.Column("near_connections", sa.Integer(), nullable=False),
        sa.Column("over_limit_events", sa.BigInteger(), nullable=False),
        sa.Column("measured_on", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("cluster", name=op.f("pk_cluster_usage")),
    )


def downgrade() -> None:
    op.drop_table("cluster_usage")
    op.drop_index(
        "ix_account_usage_flagged", table_name="account_usage", postgresql_where=sa.text(FLAGGED)
    )
    op.drop_table("account_usage")
