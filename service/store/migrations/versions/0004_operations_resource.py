"""operation progress, canceled

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 12:46:08.441909
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "operation_progress",
        sa.Column("operation_id", sa.Uuid(), nullable=False),
        sa.Column("step", sa.Text(), nullable=False),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("operation_id", name=op.f("pk_operation_progress")),
    )
    _states("'queued', 'running', 'succeeded', 'failed', 'canceled'")


def downgrade() -> None:
    op.execute("UPDATE operations SET state = 'failed' WHERE state = 'canceled'")
    _states("'queued', 'running', 'succeeded', 'failed'")
    op.drop_table("operation_progress")


def _states(values: str) -> None:
    op.drop_constraint(op.f("ck_operations_operation_state"), "operations", type_="check")
    op.create_check_constraint("operation_state", "operations", f"state IN ({values})")
