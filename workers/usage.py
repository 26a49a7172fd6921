"""Beat job: measure every account's usage on each tenant cluster, flag what is over its plan,
and, under STORAGE_LIMIT_ACTION=suspend, suspend what just went over its storage limit."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import structlog
from sqlalchemy.orm import Session, sessionmaker

from service.adapters.hand_over_log import log_queued
from service.domain.lifecycle import OperationKind
from service.domain.plans import LimitKind, PlanLimits
from service.domain.schemas import Edition
from service.domain.usage import STORAGE_LIMIT_REASON, Assessment, StorageLimitAction, assess
from service.store.usage import (
    ClusterTotals,
    MeasuredAccount,
    UsageRow,
    lock_cluster,
    measured_accounts,
    note_suspension,
    write_totals,
    write_usage,
)
from service.usecases.suspension import Refusal, suspend_account
from workers.drivers.base import DatabaseUsage, DriverError, ProvisioningDriver

SCAN_USAGE = "provisioner.scan_usage"
# The name of the cluster TENANT_DATABASE_URL registers (the only one without a registry).
DEFAULT_CLUSTER = "default"
log = structlog.get_logger(__name__)

Publish = Callable[[list[tuple[OperationKind, uuid.UUID]]], None]


@dataclass(frozen=True)
class UsagePolicy:
    plans: dict[Edition, PlanLimits]
    action: StorageLimitAction


@dataclass(frozen=True)
class _Judged:
    account: MeasuredAccount
    usage: DatabaseUsage
    assessment: Assessment


def scan_usage(
    sessions: sessionmaker[Session],
    driver: ProvisioningDriver,
    policy: UsagePolicy,
    publish: Publish,
    *,
    cluster: str = DEFAULT_CLUSTER,
    min_gap: timedelta = timedelta(0),
) -> ClusterTotals | None:
    """One cluster: one query on it, one transaction writing every account's row and the
    cluster's totals, then the suspensions that became due (each through the update rules).

    Scans of a cluster run one at a time; one that finds the cluster measured less than
    `min_gap` ago does nothing (None): a second beat, or a scan run by hand, was just there.
    """
    with sessions.begin() as session:
        last = lock_cluster(session, cluster)
        now = datetime.now(UTC)
        if last is not None and now - last < min_gap:
            log.info("usage.scan_skipped", cluster=cluster, measured_on=last.isoformat())
            return None
        measured = {usage.database: usage for usage in driver.measure_usage()}
        judged = [
            _Judged(account, measured[account.database], _assess(account, measured, policy, now))
            for account in measured_accounts(session, list(measured))
        ]
        write_usage(session, [_row(item, cluster, now) for item in judged])
        totals = _totals(judged, cluster, now)
        write_totals(session, totals)
    for item in judged:
        _log_transition(item)
    due = [item.account.account_id for item in judged if item.assessment.flag.suspend_due]
    if due and policy.action == StorageLimitAction.SUSPEND:
        publish(_suspend(sessions, due))
    return totals


def scan_fleet(
    sessions: sessionmaker[Session],
    clusters: list[tuple[str, ProvisioningDriver]],
    policy: UsagePolicy,
    publish: Publish,
    *,
    min_gap: timedelta = timedelta(0),
) -> int:
    """`scan_usage` on each tenant cluster in turn; a cluster that cannot be reached is logged
    and skipped (the others are still measured). How many accounts were measured."""
    measured = 0
    for name, driver in clusters:
        try:
            totals = scan_usage(sessions, driver, policy, publish, cluster=name, min_gap=min_gap)
        except DriverError as exc:
            log.warning("usage.cluster_unreachable", cluster=name, reason=str(exc))
            continue
        measured += 0 if totals is None else totals.accounts
    return measured


def _assess(
    account: MeasuredAccount,
    measured: dict[str, DatabaseUsage],
    policy: UsagePolicy,
    now: datetime,
) -> Assessment:
    usage = measured[account.database]
    return assess(
        account.edition,
        policy.plans[Edition(account.edition)],
        usage.storage_bytes,
        usage.connections,
        account.flag,
        now=now,
        action=policy.action,
    )


def _row(item: _Judged, cluster: str, now: datetime) -> UsageRow:
    flag = item.assessment.flag
    near = ",".join(kind.value for kind in item.assessment.near) or None
    return UsageRow(
        account_id=item.account.account_id,
        cluster=cluster,
        storage_bytes=item.usage.storage_bytes,
        connections=item.usage.connections,
        measured_on=now,
        over_limit=flag.reason,
        over_limit_since=flag.since,
        near_limit=near,
        suspend_due=flag.suspend_due,
    )


def _totals(judged: list[_Judged], cluster: str, now: datetime) -> ClusterTotals:
    def count(kinds: str, kind: LimitKind) -> int:
        return sum(1 for item in judged if kind in getattr(item.assessment, kinds))

    return ClusterTotals(
        cluster=cluster,
        accounts=len(judged),
        storage_bytes=sum(item.usage.storage_bytes for item in judged),
        connections=sum(item.usage.connections for item in judged),
        over_storage=count("over", LimitKind.STORAGE),
        over_connections=count("over", LimitKind.CONNECTIONS),
        near_storage=count("near", LimitKind.STORAGE),
        near_connections=count("near", LimitKind.CONNECTIONS),
        over_limit_events=sum(1 for item in judged if item.assessment.went_over),
        measured_on=now,
    )


def _log_transition(item: _Judged) -> None:
    if item.assessment.went_over:
        log.warning(
            "account.over_limit",
            account_id=item.account.account_id,
            account=item.account.name,
            reason=item.assessment.flag.reason,
            storage_bytes=item.usage.storage_bytes,
        )
    elif item.assessment.came_back:
        log.info(
            "account.back_under_limit",
            account_id=item.account.account_id,
            account=item.account.name,
            storage_bytes=item.usage.storage_bytes,
        )


def _suspend(
    sessions: sessionmaker[Session], account_ids: list[int]
) -> list[tuple[OperationKind, uuid.UUID]]:
    """Queue each due suspension in a transaction of its own; a busy account waits for the
    next scan (its suspension stays due)."""
    request_id = f"usage-scan-{uuid.uuid4()}"
    queued: list[tuple[OperationKind, uuid.UUID]] = []
    for account_id in account_ids:
        with sessions.begin() as session:
            started = suspend_account(session, account_id, STORAGE_LIMIT_REASON, request_id)
            if started == Refusal.BUSY:
                continue
            is_queued = not isinstance(started, Refusal)
            note_suspension(session, account_id, STORAGE_LIMIT_REASON if is_queued else None)
        if isinstance(started, Refusal):
            continue
        queued.append((OperationKind.UPDATE, started.id))
        about = {"account_id": account_id, "reason": STORAGE_LIMIT_REASON}
        log_queued(log, started.id, OperationKind.UPDATE, **about)
    return queued
