"""`provisioner up --tenant-clusters N`: the extra embedded tenant clusters, each in a folder of
its own under DATA_DIR/tenant-clusters/, registered in the fleet beside the worker's `default`."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from service.adapters.embedded import TENANT, EmbeddedServers
from service.adapters.pg_install import Progress
from service.domain.clusters import CONFIGURED_CAPACITY, DEFAULT_CLUSTER
from service.domain.passwords import PasswordSeal
from service.store.clusters import Registration, register_cluster
from service.store.db import create_sync_engine

FOLDER = "tenant-clusters"


@dataclass(frozen=True)
class ExtraCluster:
    name: str  # tenant-2, tenant-3, ...
    url: str  # its superuser's URL


@contextlib.contextmanager
def extra_tenant_clusters(
    data_dir: Path, count: int, progress: Progress
) -> Iterator[list[ExtraCluster]]:
    """Start `count` more embedded tenant clusters (kept across restarts); all stop with the
    block."""
    started: list[EmbeddedServers] = []
    clusters: list[ExtraCluster] = []
    try:
        for number in range(2, count + 2):
            name = f"tenant-{number}"
            folder = (data_dir / FOLDER / name).resolve()
            (folder / "logs").mkdir(parents=True, exist_ok=True)
            for path in (data_dir / FOLDER, folder):
                path.chmod(0o755)  # PostgreSQL runs as another user than root
            servers = EmbeddedServers("", "", folder)
            progress(f"starting tenant cluster {name}")
            servers.start(TENANT, progress)
            started.append(servers)
            clusters.append(ExtraCluster(name, servers.tenant_url))
        yield clusters
    finally:
        for servers in reversed(started):
            servers.stop()


def register_extra_clusters(
    database_url: str,
    seal: PasswordSeal,
    clusters: list[ExtraCluster],
    region: str,
    default_url: str | None,
) -> None:
    """Each in `region` (upserted: a restart keeps what an admin changed but the URL), with
    the worker's own cluster as `default` first (which the worker registers again when it
    starts): creates accepted before the worker is up are placed over all of them."""
    if not clusters:
        return
    if default_url:
        clusters = [ExtraCluster(DEFAULT_CLUSTER, default_url), *clusters]
    engine = create_sync_engine(database_url)
    try:
        with Session(engine) as session, session.begin():
            for cluster in clusters:
                url = make_url(cluster.url)
                registration = Registration(
                    name=cluster.name,
                    region=region,
                    sealed_url=seal.seal(cluster.url),
                    public_host=url.host or "127.0.0.1",
                    public_port=url.port or 5432,
                    capacity=CONFIGURED_CAPACITY,  # as `default`'s: placement alternates
                )
                adopt = cluster.name == DEFAULT_CLUSTER
                register_cluster(session, registration, adopt_unplaced=adopt)
    finally:
        engine.dispose()
