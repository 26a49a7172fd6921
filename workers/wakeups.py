"""Beat job: probe the tenant clusters the registry shows down; when one a probe found away is
back, its held-off operations are published at once instead of each waiting out its backoff."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from enum import Enum

import structlog
from redis import Redis
from sqlalchemy.orm import Session, sessionmaker

from service.store.clusters import down_clusters
from service.store.sweeps import mark_republished_on
from workers.drivers.base import ClusterUnreachable, DriverError
from workers.drivers.routing import ClusterRouter
from workers.scans import Publish

PROBE_DOWN_CLUSTERS = "provisioner.probe_down_clusters"
KEY_PREFIX = "provisioner:clusters-away:"
# A cluster no probe found away for so long is forgotten (its outage ended unseen, or beat
# stopped): its operations then wait out their backoff, as without the probe.
KEEP_SECONDS = 600.0
# Down clusters probed at once: each probe may wait out its connect timeout.
PROBES_AT_ONCE = 8
log = structlog.get_logger(__name__)


class Sighting(Enum):
    ANSWERED = "answered"
    AWAY = "away"  # the connection never opened
    UNSURE = "unsure"  # busy, refused, or its URL does not open here: neither away nor back


class AwayClusters:
    """The clusters a probe found away, in a Redis sorted set scored by when, so that the next
    probe, on any worker, knows them. Only a cluster found away is woken when it answers: one
    marked down by a step's busy or refused error answers the first probe, and its operations
    keep their backoff and attempt counting."""

    def __init__(self, redis: Redis, namespace: str) -> None:
        self._redis = redis
        self._key = KEY_PREFIX + namespace

    def names(self) -> set[str]:
        pipeline = self._redis.pipeline(transaction=False)
        pipeline.zremrangebyscore(self._key, "-inf", time.time() - KEEP_SECONDS)
        pipeline.zrange(self._key, 0, -1)
        _, names = pipeline.execute()
        return {name.decode() for name in names}

    def add(self, names: list[str]) -> None:
        if names:
            self._redis.zadd(self._key, dict.fromkeys(names, time.time()))

    def forget(self, name: str) -> bool:
        """Whether `name` was found away (once: a concurrent probe's call answers False)."""
        return bool(self._redis.zrem(self._key, name))


def wake_clusters_back(
    sessions: sessionmaker[Session], router: ClusterRouter, publish: Publish, away: AwayClusters
) -> int:
    """Probe every down cluster (none, and none found away before: one query and done). A
    cluster found away before that answers now, or that a step found answering meanwhile, is
    back: every unfinished operation on it is published again. How many were published.

    A duplicate delivery is harmless: the claim skips an operation another delivery holds
    (SKIP LOCKED) or that has finished."""
    with sessions() as session:
        down = down_clusters(session)
    found_away = away.names()
    if not down and not found_away:
        return 0
    sightings = _sightings(router, down)
    away.add([name for name, seen in sightings.items() if seen is Sighting.AWAY])
    woken = 0
    for cluster in sorted(found_away | set(down)):
        # Not down any more: a step found it answering (and recorded so) before the probe did.
        answered = sightings.get(cluster, Sighting.ANSWERED) is Sighting.ANSWERED
        if answered and away.forget(cluster):
            woken += _republish(sessions, publish, cluster)
    return woken


def _sightings(router: ClusterRouter, clusters: list[str]) -> dict[str, Sighting]:
    if not clusters:
        return {}
    with ThreadPoolExecutor(min(len(clusters), PROBES_AT_ONCE)) as probes:
        found = probes.map(lambda name: _sight(router, name), clusters)
        return dict(zip(clusters, found, strict=True))


def _sight(router: ClusterRouter, cluster: str) -> Sighting:
    try:
        router.probe(cluster)
    except ClusterUnreachable:
        return Sighting.AWAY
    except DriverError:
        return Sighting.UNSURE
    return Sighting.ANSWERED


def _republish(sessions: sessionmaker[Session], publish: Publish, cluster: str) -> int:
    with sessions.begin() as session:
        handed = mark_republished_on(session, datetime.now(UTC), cluster)
    publish([(kind, operation_id) for kind, operation_id, _ in handed])
    log.info("cluster.back", cluster=cluster, operations=len(handed))
    return len(handed)
