"""stable ids and audit: accounts get an immutable public id and owner contact; operations who asked

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06 16:55:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

REQUESTED_BY_SET = "requested_by_token IS NOT NULL"


def upgrade() -> None:
    # gen_random_uuid() is built in from PostgreSQL 13: existing rows get their id here.
    op.add_column(
        "accounts",
        sa.Column(
            "public_id", sa.Uuid(), server_default=sa.text("gen_random_uuid()"), nullable=False
        ),
    )
    op.create_index("uq_accounts_public_id", "accounts", ["public_id"], unique=True)
    for column in ("admin_name", "owner_email", "owner_first_name", "owner_last_name"):
        op.add_column("accounts", sa.Column(column, sa.Text(), nullable=True))
    op.add_column("operations", sa.Column("requested_by_token", sa.Uuid(), nullable=True))
    op.add_column("operations", sa.Column("requested_by", sa.Text(), nullable=True))
    op.create_index(
        "ix_operations_requested_by_token",
        "operations",
        ["requested_by_token", "created_at"],
        postgresql_where=sa.text(REQUESTED_BY_SET),
    )


def downgrade() -> None:
    op.drop_index(
        "ix_operations_requested_by_token",
        table_name="operations",
        postgresql_where=sa.text(REQUESTED_BY_SET),
    )
    op.drop_column("operations", "requested_by")
    op.drop_column("operations", "requested_by_token")
    for column in ("owner_last_name", "owner_first_name", "owner_email", "admin_name"):
        op.drop_column("accounts", column)
    op.drop_index("uq_accounts_public_id", table_name="accounts")
    op.drop_column("accounts", "public_id")
