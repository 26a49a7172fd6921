"""Prometheus metrics: request and accept counters kept in-process, the rest read at scrape.

Workers run in other processes, so what they do is read back from PostgreSQL (the source of
truth; rows are never deleted, so the `_total` counts only grow) and Redis when scraped, at
most once per SNAPSHOT_TTL_SECONDS (a scrape in between is served the snapshot it took); usage
comes from the totals the usage scan keeps per cluster, never from the accounts themselves.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncSession

from service.adapters.broker import purge_queue
from service.adapters.queue_report import broker_numbers, workers_online
from service.domain.clusters import is_up
from service.domain.lifecycle import OperationKind
from service.domain.plans import LimitKind
from service.store.clusters import list_clusters
from service.store.models import ClusterUsage, TenantCluster
from service.store.queue_stats import (
    due_purges,
    finished_counts,
    finished_durations,
    oldest_queued_age,
)
from service.store.usage_reads import cluster_totals

BATCH_SIZE_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128)
DURATION_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0)
# How long a snapshot serves scrapes: the aggregates behind it are not read more often.
SNAPSHOT_TTL_SECONDS = 5.0


@dataclass
class Snapshot:
    """What the database and the broker say at scrape time."""

    finished: dict[tuple[str, str], int] = field(default_factory=dict)
    durations: dict[str, tuple[list[int], float, int]] = field(default_factory=dict)
    ready: int = 0
    purge_batches_ready: int = 0
    unacked: int = 0
    oldest_waiting_seconds: float = 0.0
    purge_backlog: int = 0
    purge_lag_seconds: float = 0.0
    workers_online: int = 0
    clusters: list[ClusterUsage] = field(default_factory=list)
    fleet: list[TenantCluster] = field(default_factory=list)


async def take_snapshot(session: AsyncSession, redis: Redis, queue: str) -> Snapshot:
    now = datetime.now(UTC)
    snapshot = Snapshot()
    snapshot.finished = await finished_counts(session)
    snapshot.durations = await finished_durations(session, DURATION_BUCKETS)
    numbers = await broker_numbers(redis, queue)
    snapshot.ready, snapshot.unacked = numbers["ready"], numbers["unacked"]
    snapshot.purge_batches_ready = (await broker_numbers(redis, purge_queue(queue)))["ready"]
    snapshot.oldest_waiting_seconds = await oldest_queued_age(session, now) or 0.0
    due, oldest = await due_purges(session, now)
    snapshot.purge_backlog = due
    snapshot.purge_lag_seconds = (now - oldest).total_seconds() if oldest else 0.0
    snapshot.workers_online = len(await workers_online(redis))
    snapshot.clusters = await cluster_totals(session)
    snapshot.fleet = list(await list_clusters(session))
    return snapshot


def _fleet_families(fleet: list[TenantCluster], now: datetime) -> Iterator[Metric]:
    """Per registered tenant cluster: health as the workers last saw it, and placements."""
    labels = ["cluster", "region"]
    up = GaugeMetricFamily(
        "provisioner_cluster_up",
        "1 unless the last step on the cluster met an error",
        labels=labels,
    )
    placed = GaugeMetricFamily(
        "provisioner_cluster_placed_accounts", "Accounts placed on the cluster", labels=labels
    )
    capacity = GaugeMetricFamily(
        "provisioner_cluster_capacity", "Most accounts the cluster may hold", labels=labels
    )
    error_age = GaugeMetricFamily(
        "provisioner_cluster_last_error_age_seconds",
        "Seconds since a worker last met an error on the cluster (absent: never)",
        labels=labels,
    )
    for cluster in fleet:
        names = [cluster.name, cluster.region]
        up.add_metric(names, 1 if is_up(cluster.last_ok_on, cluster.last_error_on) else 0)
        placed.add_metric(names, cluster.placed_accounts)
        capacity.add_metric(names, cluster.capacity)
        if cluster.last_error_on is not None:
            error_age.add_metric(names, (now - cluster.last_error_on).total_seconds())
    yield from (up, placed, capacity, error_age)


def _usage_families(clusters: list[ClusterUsage]) -> Iterator[Metric]:
    """Per tenant cluster, as its last usage scan left it."""
    cluster = ["cluster"]
    gauges = {
        column: GaugeMetricFamily(name, help_text, labels=cluster)
        for column, name, help_text in (
            ("accounts", "provisioner_cluster_accounts", "Live accounts measured on the cluster"),
            (
                "storage_bytes",
                "provisioner_cluster_storage_bytes",
                "Bytes the accounts' databases hold",
            ),
            (
                "connections",
                "provisioner_cluster_connections",
                "Sessions open on the accounts' databases",
            ),
            (
                "measured_on",
                "provisioner_cluster_measured_timestamp_seconds",
                "When the usage scan last measured the cluster (Unix time)",
            ),
        )
    }
    over = GaugeMetricFamily(
        "provisioner_accounts_over_limit",
        "Accounts over a plan limit, by cluster and limit",
        labels=["cluster", "limit"],
    )
    near = GaugeMetricFamily(
        "provisioner_accounts_near_limit",
        "Accounts at or above 90 % of a plan limit, by cluster and limit",
        labels=["cluster", "limit"],
    )
    went_over = CounterMetricFamily(
        "provisioner_accounts_over_limit_events",
        "Times an account went over its storage limit (the transition, once each)",
        labels=cluster,
    )
    for row in clusters:
        for name, family in gauges.items():
            value = getattr(row, name)
            family.add_metric([row.cluster], value.timestamp() if name == "measured_on" else value)
        over.add_metric([row.cluster, LimitKind.STORAGE.value], row.over_storage)
        over.add_metric([row.cluster, LimitKind.CONNECTIONS.value], row.over_connections)
        near.add_metric([row.cluster, LimitKind.STORAGE.value], row.near_storage)
        near.add_metric([row.cluster, LimitKind.CONNECTIONS.value], row.near_connections)
        went_over.add_metric([row.cluster], row.over_limit_events)
    yield from (*gauges.values(), over, near, went_over)


class SnapshotCollector(Collector):
    """Exposes the latest snapshot; the scrape handler refreshes it before rendering."""

    def __init__(self) -> None:
        self.snapshot = Snapshot()
        self.taken_at: float | None = None  # monotonic time of the last refresh
        # One refresh at a time: scrapes that arrive meanwhile are served its result.
        self.refreshing = asyncio.Lock()

    def collect(self) -> Iterator[Metric]:
        snap = self.snapshot
        finished = CounterMetricFamily(
            "provisioner_operations_finished",
            "Operations that reached a terminal state, by kind and outcome",
            labels=["kind", "outcome"],
        )
        for (kind, outcome), count in sorted(snap.finished.items()):
            finished.add_metric([kind, outcome], count)
        yield finished
        durations = HistogramMetricFamily(
            "provisioner_operation_duration_seconds",
            "Time from acceptance to the end of an operation",
            labels=["kind"],
        )
        for kind, (buckets, total, count) in sorted(snap.durations.items()):
            pairs = [
                (str(bound), float(n)) for bound, n in zip(DURATION_BUCKETS, buckets, strict=True)
            ]
            durations.add_metric([kind], [*pairs, ("+Inf", float(count))], total)
        yield durations
        for name, help_text, value in (
            ("provisioner_queue_ready", "Messages waiting in the queue", snap.ready),
            (
                "provisioner_purge_queue_ready",
                "Batches of purges waiting in the purge queue",
                snap.purge_batches_ready,
            ),
            (
                "provisioner_queue_unacked",
                "Messages delivered, not yet acknowledged (both queues)",
                snap.unacked,
            ),
            (
                "provisioner_queue_oldest_waiting_seconds",
                "Age of the oldest queued operation",
                snap.oldest_waiting_seconds,
            ),
            (
                "provisioner_purge_backlog",
                "Dropped accounts past their deletion time",
                snap.purge_backlog,
            ),
            (
                "provisioner_purge_lag_seconds",
                "How long the oldest due purge has waited",
                snap.purge_lag_seconds,
            ),
            ("provisioner_workers_online", "Workers with a live heartbeat", snap.workers_online),
        ):
            yield GaugeMetricFamily(name, help_text, value=value)
        yield from _usage_families(snap.clusters)
        yield from _fleet_families(snap.fleet, datetime.now(UTC))


@dataclass
class ApiMetrics:
    """The API process's own metrics, in a registry of its own (one per application)."""

    registry: CollectorRegistry
    requests: Counter
    latency: Histogram
    accepted: Counter
    create_batch_size: Histogram
    snapshot: SnapshotCollector
    # `accepted`'s child of each kind, looked up once (a `labels()` call is ~2 µs).
    _accepted_by_kind: dict[str, Any] = field(default_factory=dict)

    # The children of `requests` and `latency` by their labels, looked up once each.
    _request_children: dict[tuple[str, str, int], tuple[Any, Any]] = field(default_factory=dict)

    def observe_request(self, route: str, method: str, status: int, seconds: float) -> None:
        children = self._request_children.get((route, method, status))
        if children is None:
            children = (
                self.requests.labels(route, method, str(status)),
                self.latency.labels(route, method),
            )
            self._request_children[(route, method, status)] = children
        children[0].inc()
        children[1].observe(seconds)

    def count_accepted(self, kind: OperationKind, count: int = 1) -> None:
        child = self._accepted_by_kind.get(kind.value)
        if child is None:
            child = self._accepted_by_kind[kind.value] = self.accepted.labels(kind.value)
        child.inc(count)


def create_api_metrics() -> ApiMetrics:
    registry = CollectorRegistry()
    snapshot = SnapshotCollector()
    registry.register(snapshot)
    return ApiMetrics(
        registry=registry,
        requests=Counter(
            "provisioner_http_requests",
            "HTTP requests by route, method and status",
            ["route", "method", "status"],
            registry=registry,
        ),
        latency=Histogram(
            "provisioner_http_request_duration_seconds",
            "HTTP request latency by route and method",
            ["route", "method"],
            registry=registry,
        ),
        create_batch_size=Histogram(
            "provisioner_create_batch_size",
            "Creates written by one statement and commit (group commit)",
            buckets=BATCH_SIZE_BUCKETS,
            registry=registry,
        ),
        accepted=Counter(
            "provisioner_operations_accepted",
            "Operations accepted (answered 202) by kind",
            ["kind"],
            registry=registry,
        ),
        snapshot=snapshot,
    )
