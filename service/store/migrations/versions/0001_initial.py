"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-23 11:55:03.335240
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "organizations",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organizations")),
        sa.UniqueConstraint("name", name=op.f("uq_organizations_name")),
    )
    op.create_table(
        "accounts",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("organization_id", sa.BigInteger(), nullable=False),
        sa.Column("name", sa.String(length=255, collation="C"), nullable=False),
        sa.Column(
            "state",
            sa.Enum(
                "CREATING",
                "ACTIVE",
                "DROPPING",
                "DROPPED",
                "UNDROPPING",
                "PURGING",
                "PURGED",
                "FAILED",
                name="account_state",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("account_locator", sa.String(length=16), nullable=False),
        sa.Column("edition", sa.String(length=32), nullable=False),
        sa.Column("region_group", sa.String(length=64), nullable=True),
        sa.Column("region", sa.String(length=64), nullable=True),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("account_url", sa.Text(), nullable=True),
        sa.Column("account_locator_url", sa.Text(), nullable=True),
        sa.Column("managed_accounts", sa.Integer(), nullable=False),
        sa.Column("consumption_billing_entity_name", sa.Text(), nullable=True),
        sa.Column("marketplace_consumer_billing_entity_name", sa.Text(), nullable=True),
        sa.Column("marketplace_provider_billing_entity_name", sa.Text(), nullable=True),
        sa.Column("old_account_url", sa.Text(), nullable=True),
        sa.Column("is_org_admin", sa.Boolean(), nullable=False),
        sa.Column("retention_time", sa.Integer(), nullable=False),
        sa.Column("is_events_account", sa.Boolean(), nullable=False),
        sa.Column("moved_to_organization", sa.Text(), nullable=True),
        sa.Column(
            "created_on",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_on",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("dropped_on", sa.DateTime(timezone=True), nullable=True),
        sa.Column("scheduled_deletion_time", sa.DateTime(timezone=True), nullable=True),
        sa.Column("restored_on", sa.DateTime(timezone=True), nullable=True),
        sa.Column("purged_on", sa.DateTime(timezone=True), nullable=True),
        sa.Column("account_old_url_saved_on", sa.DateTime(timezone=True), nullable=True),
        sa.Column("account_old_url_last_used", sa.DateTime(timezone=True), nullable=True),
        sa.Column("organization_old_url", sa.Text(), nullable=True),
        sa.Column("organization_old_url_saved_on", sa.DateTime(timezone=True), nullable=True),
        sa.Column("organization_old_url_last_used", sa.DateTime(timezone=True), nullable=True),
        sa.Column("organization_url_expiration_on", sa.DateTime(timezone=True), nullable=True),
        sa.Column("moved_on", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_accounts_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_accounts")),
        sa.UniqueConstraint("account_locator", name=op.f("uq_accounts_account_locator")),
    )
    op.create_index(
        "ix_accounts_due_purge",
        "accounts",
        ["scheduled_deletion_time"],
        unique=False,
        postgresql_where=sa.text("state = 'DROPPED'"),
    )
    op.create_index(
        "uq_accounts_org_name_in_use",
        "accounts",
        ["organization_id", "name"],
        unique=True,
        postgresql_where=sa.text("state NOT IN ('PURGED', 'FAILED')"),
    )
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.BigInteger(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column(
            "role",
            sa.Enum(
                "admin",
                "operator",
                "viewer",
                name="token_role",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_api_tokens_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_api_tokens_token_hash")),
    )
    op.create_index(
        op.f("ix_api_tokens_organization_id"), "api_tokens", ["organization_id"], unique=False
    )
    op.create_table(
        "operations",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.BigInteger(), nullable=False),
        sa.Column("account_id", sa.BigInteger(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "create",
                "drop",
                "undrop",
                "purge",
                name="operation_kind",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column(
            "state",
            sa.Enum(
                "queued",
                "running",
                "succeeded",
                "failed",
                name="operation_state",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("request", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("response_status", sa.Integer(), nullable=True),
        sa.Column("response_body", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.String(length=128), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_published_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_operations_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_operations_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_operations")),
    )
    op.create_index(op.f("ix_operations_account_id"), "operations", ["account_id"], unique=False)
    op.create_index(
        op.f("ix_operations_organization_id"), "operations", ["organization_id"], unique=False
    )
    op.create_index(
        "ix_operations_queued_created_at",
        "operations",
        ["created_at"],
        unique=False,
        postgresql_where=sa.text("state = 'queued'"),
    )
    op.create_index(
        "uq_operations_account_in_flight",
        "operations",
        ["account_id"],
        unique=True,
        postgresql_where=sa.text("state IN ('queued', 'running')"),
    )


def downgrade() -> None:
    op.drop_index(
        "uq_operations_account_in_flight",
        table_name="operations",
        postgresql_where=sa.text("state IN ('queued', 'running')"),
    )
    op.drop_index(
        "ix_operations_queued_created_at",
        table_name="operations",
        postgresql_where=sa.text("state = 'queued'"),
    )
    op.drop_index(op.f("ix_operations_organization_id"), table_name="operations")
    op.drop_index(op.f("ix_operations_account_id"), table_name="operations")
    op.drop_table("operations")
    op.drop_index(op.f("ix_api_tokens_organization_id"), table_name="api_tokens")
    op.drop_table("api_tokens")
    op.drop_index(
        "uq_accounts_org_name_in_use",
        table_name="accounts",
        postgresql_where=sa.text("state NOT IN ('PURGED', 'FAILED')"),
    )
    op.drop_index(
        "ix_accounts_due_purge",
        table_name="accounts",
        postgresql_where=sa.text("state = 'DROPPED'"),
    )
    op.drop_table("accounts")
    op.drop_table("organizations")
