"""tenant names, sealed passwords, rotate

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 12:17:50.912339
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("accounts", sa.Column("tenant_database", sa.String(length=63), nullable=True))
    op.add_column("accounts", sa.Column("tenant_role", sa.String(length=63), nullable=True))
    op.add_column("operations", sa.Column("sealed_password", sa.Text(), nullable=True))
    op.add_column("operations", sa.Column("password_verifier", sa.Text(), nullable=True))
    _kinds("'create', 'drop', 'undrop', 'purge', 'rotate'")
    # Tenant logins may live on this cluster: they must not reach the control-plane database.
    op.execute(
        """
        DO $$
        BEGIN
            EXECUTE format('REVOKE CONNECT ON DATABASE %I FROM PUBLIC', current_database());
        EXCEPTION WHEN insufficient_privilege THEN
            RAISE WARNING 'could not revoke CONNECT on the control-plane database from PUBLIC';
        END
        $$
        """
    )


def downgrade() -> None:
    op.execute("DELETE FROM operations WHERE kind = 'rotate'")
    _kinds("'create', 'drop', 'undrop', 'purge'")
    op.drop_column("operations", "sealed_password")
    op.drop_column("operations", "password_verifier")
    op.drop_column("accounts", "tenant_role")
    op.drop_column("accounts", "tenant_database")


def _kinds(values: str) -> None:
    op.drop_constraint(op.f("ck_operations_operation_kind"), "operations", type_="check")
    op.create_check_constraint("operation_kind", "operations", f"kind IN ({values})")
