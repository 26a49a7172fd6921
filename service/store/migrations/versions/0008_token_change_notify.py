"""tokens announce their changes to the API processes' token caches

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-23 18:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Whatever changes a token's row — a revocation through the API, an UPDATE by an operator, a
# deleted organization — NOTIFYs its hash (service/store/notifications.py: TOKEN_CHANNEL) at commit.


def upgrade() -> None:
    op.execute(
        """
        CREATE FUNCTION provisioner_token_changed() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM pg_notify('provisioner_token_changed', OLD.token_hash);
            RETURN NULL;
        END
        $$
        """
    )
    op.execute(
        """
        CREATE TRIGGER api_tokens_changed
        AFTER UPDATE OR DELETE ON api_tokens
        FOR EACH ROW EXECUTE FUNCTION provisioner_token_changed()
        """
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER api_tokens_changed ON api_tokens")
    op.execute("DROP FUNCTION provisioner_token_changed()")
