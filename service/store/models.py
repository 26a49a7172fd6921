"""SQLAlchemy models: organizations, API tokens, accounts and operations, with their constraints."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any, cast

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    Enum,
    ForeignKey,
    Identity,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    Uuid,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from service.domain.lifecycle import (
    TERMINAL_OPERATION_STATES,
    AccountState,
    OperationKind,
    OperationState,
)
from service.domain.roles import Role

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def _enum(enum_cls: type[StrEnum], name: str) -> Enum:
    return Enum(
        enum_cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=16,
        values_callable=lambda members: [m.value for m in members],
    )


def _partial(name: str, *columns: str, where: str, unique: bool = False) -> Index:
    """An index of the rows `where` holds: the few rows a scan or a uniqueness rule is about."""
    return Index(name, *columns, unique=unique, postgresql_where=text(where))


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


Timestamp = DateTime(timezone=True)


class Organization(Base):
    __tablename__ = "organizations"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    name: Mapped[str] = mapped_column(String(255), unique=True)
    created_at: Mapped[datetime] = mapped_column(Timestamp, server_default=func.now())


class ApiToken(Base):
    __tablename__ = "api_tokens"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[Role] = mapped_column(_enum(Role, "token_role"))
    description: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(Timestamp, server_default=func.now())
    expires_at: Mapped[datetime | None] = mapped_column(Timestamp)
    revoked_at: Mapped[datetime | None] = mapped_column(Timestamp)


class Account(Base):
    __tablename__ = "accounts"
    __table_args__ = (
        # A name stays taken until the account is purged (or its create failed for good).
        _partial(
            "uq_accounts_org_name_in_use",
            "organization_id",
            "name",
            where="state NOT IN ('PURGED', 'FAILED')",
            unique=True,
        ),
        _partial(
            "uq_accounts_org_external_id",
            "organization_id",
            "external_id",
            where="external_id IS NOT NULL AND state NOT IN ('PURGED', 'FAILED')",
            unique=True,
        ),
        _partial("ix_accounts_due_purge", "scheduled_deletion_time", where="state = 'DROPPED'"),
        # Trigrams serve the listing's `name ILIKE '%…%'` (pg_trgm, created by 0006); a pattern
        # with fewer than 3 literal characters has no trigram to look up. A small pending list
        # (in kB): searches scan it, see 0006.
        Index(
            "ix_accounts_name_trgm",
            "name",
            postgresql_using="gin",
            postgresql_ops={"name": "gin_trgm_ops"},
            postgresql_with={"gin_pending_list_limit": 256},
        ),
        Index("uq_accounts_public_id", "public_id", unique=True),
        # A cluster's accounts in id order: what the cluster's paged accounts list walks (0013).
        Index("ix_accounts_cluster_id", "cluster", "id"),
    )

    # Internal key (foreign keys, cursors); `public_id` is the id callers see, never reused.
    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    public_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, server_default=text("gen_random_uuid()"), default=uuid.uuid4
    )
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    # "C" collation: byte order, so listing order and `fromName` cursors are case-sensitive.
    name: Mapped[str] = mapped_column(String(255, collation="C"))
    state: Mapped[AccountState] = mapped_column(_enum(AccountState, "account_state"))
    account_locator: Mapped[str] = mapped_column(String(16), unique=True)
    # Names of the account's database and administrator role on the tenant cluster.
    tenant_database: Mapped[str | None] = mapped_column(String(63))
    tenant_role: Mapped[str | None] = mapped_column(String(63))
    edition: Mapped[str] = mapped_column(String(32))
    region_group: Mapped[str | None] = mapped_column(String(64))
    region: Mapped[str | None] = mapped_column(String(64))
    comment: Mapped[str | None] = mapped_column(Text)
    # The owner contact given at create: shown to admins and operators only.
    admin_name: Mapped[str | None] = mapped_column(Text)
    owner_email: Mapped[str | None] = mapped_column(Text)
    owner_first_name: Mapped[str | None] = mapped_column(Text)
    owner_last_name: Mapped[str | None] = mapped_column(Text)
    # false: logins suspended (without dropping anything); an update turns it back on.
    enabled: Mapped[bool] = mapped_column(Boolean, default=True, server_default=text("true"))
    # true: a drop is refused until an update turns it off.
    deletion_protection: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=text("false")
    )
    # An optional caller-chosen id, unique among the organization's accounts.
    external_id: Mapped[str | None] = mapped_column(String(255))
    account_url: Mapped[str | None] = mapped_column(Text)
    account_locator_url: Mapped[str | None] = mapped_column(Text)
    managed_accounts: Mapped[int] = mapped_column(Integer, default=0)
    consumption_billing_entity_name: Mapped[str | None] = mapped_column(Text)
    marketplace_consumer_billing_entity_name: Mapped[str | None] = mapped_column(Text)
    marketplace_provider_billing_entity_name: Mapped[str | None] = mapped_column(Text)
    old_account_url: Mapped[str | None] = mapped_column(Text)
    is_org_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    retention_time: Mapped[int] = mapped_column(Integer, default=1)
    is_events_account: Mapped[bool] = mapped_column(Boolean, default=False)
    moved_to_organization: Mapped[str | None] = mapped_column(Text)
    created_on: Mapped[datetime] = mapped_column(Timestamp, server_default=func.now())
    updated_on: Mapped[datetime] = mapped_column(
        Timestamp, server_default=func.now(), onupdate=func.now()
    )
    dropped_on: Mapped[datetime | None] = mapped_column(Timestamp)
    scheduled_deletion_time: Mapped[datetime | None] = mapped_column(Timestamp)
    restored_on: Mapped[datetime | None] = mapped_column(Timestamp)
    purged_on: Mapped[datetime | None] = mapped_column(Timestamp)
    account_old_url_saved_on: Mapped[datetime | None] = mapped_column(Timestamp)
    account_old_url_last_used: Mapped[datetime | None] = mapped_column(Timestamp)
    organization_old_url: Mapped[str | None] = mapped_column(Text)
    organization_old_url_saved_on: Mapped[datetime | None] = mapped_column(Timestamp)
    organization_old_url_last_used: Mapped[datetime | None] = mapped_column(Timestamp)
    organization_url_expiration_on: Mapped[datetime | None] = mapped_column(Timestamp)
    moved_on: Mapped[datetime | None] = mapped_column(Timestamp)
    # The tenant cluster holding the account (null: not placed, the worker's own cluster).
    cluster: Mapped[str | None] = mapped_column(
        ForeignKey("tenant_clusters.name", onupdate="CASCADE")
    )


class TenantCluster(Base):
    """A tenant cluster of the fleet. `placed_accounts` is kept by a trigger (migration 0011)."""

    __tablename__ = "tenant_clusters"
    __table_args__ = (
        Index("ix_tenant_clusters_region", "region", "state"),
        CheckConstraint("state IN ('open', 'draining', 'closed')", name="state"),
        CheckConstraint("capacity >= 0", name="capacity"),
    )

    name: Mapped[str] = mapped_column(String(63), primary_key=True)
    region: Mapped[str] = mapped_column(String(64))
    # The superuser-capable URL sealed with SECRET_KEY: only workers open it.
    sealed_url: Mapped[str] = mapped_column(Text)
    public_host: Mapped[str] = mapped_column(String(255))
    public_port: Mapped[int] = mapped_column(Integer)
    capacity: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(16), server_default=text("'open'"))
    placed_accounts: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    created_on: Mapped[datetime] = mapped_column(Timestamp, server_default=func.now())
    last_ok_on: Mapped[datetime | None] = mapped_column(Timestamp)
    last_error: Mapped[str | None] = mapped_column(Text)
    last_error_on: Mapped[datetime | None] = mapped_column(Timestamp)


class IdempotencyKey(Base):
    """The first answer to a mutating request sent with an `Idempotency-Key`, for replays."""

    __tablename__ = "idempotency_keys"

    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True
    )
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    # HMAC of the request under the server key: equal requests, equal fingerprints.
    fingerprint: Mapped[str] = mapped_column(String(64))
    response_status: Mapped[int | None] = mapped_column(Integer)
    response_body: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    response_headers: Mapped[dict[str, str] | None] = mapped_column(JSONB)
    created_at: Mapped[datetime] = mapped_column(Timestamp, server_default=func.now(), index=True)


class OperationProgress(Base):
    """The step a worker is on. Kept apart from `operations` (no foreign key, on purpose): the
    worker holds the operation's row lock for the whole step and writes this from another
    connection, which a lock on (or a key check against) that row would block."""

    __tablename__ = "operation_progress"

    operation_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    step: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(Timestamp, server_default=func.now())


class Operation(Base):
    __tablename__ = "operations"
    __table_args__ = (
        # At most one mutation in flight per account, enforced by the database.
        _partial(
            "uq_operations_account_in_flight",
            "account_id",
            where="state IN ('queued', 'running')",
            unique=True,
        ),
        _partial("ix_operations_queued_created_at", "created_at", where="state = 'queued'"),
        _partial("ix_operations_running_claimed_at", "claimed_at", where="state = 'running'"),
        _partial(
            "ix_operations_requested_by_token",
            "requested_by_token",
            "created_at",
            where="requested_by_token IS NOT NULL",
        ),
    )

    # The id is the result handle: random (uuid4), so it cannot be guessed.
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[OperationKind] = mapped_column(_enum(OperationKind, "operation_kind"))
    state: Mapped[OperationState] = mapped_column(_enum(OperationState, "operation_state"))
    # The request as accepted, with secrets removed.
    request: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    response_status: Mapped[int | None] = mapped_column(Integer)
    response_body: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    error: Mapped[str | None] = mapped_column(Text)
    # The new password sealed with the server key: the worker derives its verifier from it;
    # a generated one is kept until its result hands it over, once; a given one until the end.
    sealed_password: Mapped[str | None] = mapped_column(Text)
    password_given: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=text("false")
    )
    # The SCRAM verifier the worker sets on the tenant role; cleared when the operation ends.
    password_verifier: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    request_id: Mapped[str | None] = mapped_column(String(128))
    # Who asked: the token's id and its description at the time (null for system operations).
    requested_by_token: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    requested_by: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(Timestamp, server_default=func.now())
    started_at: Mapped[datetime | None] = mapped_column(Timestamp)
    # When a worker last claimed it; with the row lock it holds while executing, this is the
    # lease: a running operation that is unlocked and claimed long ago has lost its worker.
    claimed_at: Mapped[datetime | None] = mapped_column(Timestamp)
    finished_at: Mapped[datetime | None] = mapped_column(Timestamp)
    last_published_at: Mapped[datetime | None] = mapped_column(Timestamp)

    @property
    def done(self) -> bool:
        return self.state in TERMINAL_OPERATION_STATES


class AccountUsage(Base):
    """An account's last measured usage and its over-limit flag, written by the usage scan.
    Kept off `accounts` (whose rows workers lock for a whole step) so the scan never waits."""

    __tablename__ = "account_usage"
    __table_args__ = (
        # The few accounts over or near a limit: the queues view lists them.
        _partial(
            "ix_account_usage_flagged",
            "account_id",
            where="over_limit IS NOT NULL OR near_limit IS NOT NULL",
        ),
    )

    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True
    )
    cluster: Mapped[str] = mapped_column(String(63))
    storage_bytes: Mapped[int] = mapped_column(BigInteger)
    connections: Mapped[int] = mapped_column(Integer)
    measured_on: Mapped[datetime] = mapped_column(Timestamp)
    # Why the account is over its plan (e.g. "storage 1.3 GiB is over ..."), since when.
    over_limit: Mapped[str | None] = mapped_column(Text)
    over_limit_since: Mapped[datetime | None] = mapped_column(Timestamp)
    # The limit kinds (comma separated) the usage has reached 90 % of.
    near_limit: Mapped[str | None] = mapped_column(Text)
    # true: the account went over its storage limit under STORAGE_LIMIT_ACTION=suspend and its
    # suspension is not queued yet (another operation was in flight): the next scan tries again.
    suspend_due: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))
    # Why the scan suspended it (shown while `accounts.enabled` is false); an update that
    # touches `enabled` clears it.
    suspended_reason: Mapped[str | None] = mapped_column(String(32))


class ClusterUsage(Base):
    """One tenant cluster's totals from its last usage scan: what `/metrics` and the queues
    view read, instead of aggregating every account on each request."""

    __tablename__ = "cluster_usage"

    cluster: Mapped[str] = mapped_column(String(63), primary_key=True)
    accounts: Mapped[int] = mapped_column(Integer)
    storage_bytes: Mapped[int] = mapped_column(BigInteger)
    connections: Mapped[int] = mapped_column(Integer)
    over_storage: Mapped[int] = mapped_column(Integer)
    over_connections: Mapped[int] = mapped_column(Integer)
    near_storage: Mapped[int] = mapped_column(Integer)
    near_connections: Mapped[int] = mapped_column(Integer)
    # Transitions into over-limit since the cluster was first scanned (a counter).
    over_limit_events: Mapped[int] = mapped_column(BigInteger, default=0)
    measured_on: Mapped[datetime] = mapped_column(Timestamp)


# The tables, for Core statements run through a session: a statement on the mapped class would
# be taken for an ORM bulk write of objects.
accounts_table = cast(Table, Account.__table__)
operations_table = cast(Table, Operation.__table__)
organizations_table = cast(Table, Organization.__table__)
progress_table = cast(Table, OperationProgress.__table__)
usage_table = cast(Table, AccountUsage.__table__)
cluster_usage_table = cast(Table, ClusterUsage.__table__)
clusters_table = cast(Table, TenantCluster.__table__)


class AccountMove(Base):
    """The last step a move operation finished (workers/moves.py resumes after it). No foreign
    key, like `operation_progress`: written while the step's transaction holds the operation."""

    __tablename__ = "account_moves"

    operation_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    done_step: Mapped[str] = mapped_column(String(16))
    updated_at: Mapped[datetime] = mapped_column(Timestamp, server_default=func.now())
