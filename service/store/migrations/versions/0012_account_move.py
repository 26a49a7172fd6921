"""account move: the `move` operation kind, and each move's last finished step

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06 18:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_KINDS = "'create', 'drop', 'undrop', 'purge', 'rotate', 'update'"


def upgrade() -> None:
    _kinds(_KINDS + ", 'move'")
    # No foreign key, like operation_progress: the worker writes it from a connection of its
    # own while its step's transaction holds the operation's row.
    op.create_table(
        "account_moves",
        sa.Column("operation_id", sa.Uuid(), nullable=False),
        sa.Column("done_step", sa.String(16), nullable=False),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.PrimaryKeyConstraint("operation_id", name=op.f("pk_account_moves")),
    )


def downgrade() -> None:
    op.drop_table("account_moves")
    op.execute("DELETE FROM operations WHERE kind = 'move'")
    _kinds(_KINDS)


def _kinds(values: str) -> None:
    op.drop_constraint(op.f("ck_operations_operation_kind"), "operations", type_="check")
    op.create_check_constraint("operation_kind", "operations", f"kind IN ({values})")
