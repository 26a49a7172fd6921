"""account update

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 12:58:45.344985
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "accounts",
        sa.Column("enabled", sa.Boolean(), server_default=sa.text("true"), nullable=False),
    )
    op.add_column(
        "accounts",
        sa.Column(
            "deletion_protection", sa.Boolean(), server_default=sa.text("false"), nullable=False
        ),
    )
    op.add_column("accounts", sa.Column("external_id", sa.String(length=255), nullable=True))
    op.create_index(
        "uq_accounts_org_external_id",
        "accounts",
        ["organization_id", "external_id"],
        unique=True,
        postgresql_where=sa.text("external_id IS NOT NULL AND state NOT IN ('PURGED', 'FAILED')"),
    )
    _kinds("'create', 'drop', 'undrop', 'purge', 'rotate', 'update'")


def downgrade() -> None:
    op.execute("DELETE FROM operations WHERE kind = 'update'")
    _kinds("'create', 'drop', 'undrop', 'purge', 'rotate'")
    op.drop_index(
        "uq_accounts_org_external_id",
        table_name="accounts",
        postgresql_where=sa.text("external_id IS NOT NULL AND state NOT IN ('PURGED', 'FAILED')"),
    )
    op.drop_column("accounts", "external_id")
    op.drop_column("accounts", "deletion_protection")
    op.drop_column("accounts", "enabled")


def _kinds(values: str) -> None:
    op.drop_constraint(op.f("ck_operations_operation_kind"), "operations", type_="check")
    op.create_check_constraint("operation_kind", "operations", f"kind IN ({values})")
