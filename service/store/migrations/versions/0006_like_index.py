"""like index

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23 14:40:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Trusted since PostgreSQL 13: the database owner may create it, no superuser needed.
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    # A GIN trigram index serves `name ILIKE '%…%'` (any position, any case) for patterns with
    # at least 3 literal characters; the "C" collation of `name` does not get in the way.
    # New entries wait in a pending list that every search scans (and the planner prices) until
    # a vacuum merges it; 256 kB instead of 4 MB keeps that cheap after a bulk insert, while
    # inserts still go in batches (fastupdate off would make them ~5x slower).
    op.create_index(
        "ix_accounts_name_trgm",
        "accounts",
        ["name"],
        postgresql_using="gin",
        postgresql_ops={"name": "gin_trgm_ops"},
        postgresql_with={"gin_pending_list_limit": 256},
    )


def downgrade() -> None:
    op.drop_index("ix_accounts_name_trgm", table_name="accounts", postgresql_using="gin")
    # pg_trgm stays: upgrade may have found it already there (IF NOT EXISTS), other objects in the
    # database may use it, and dropping it would need its owner. Leaving it costs nothing.
