"""The tenant cluster registry: placement's locked reads, the fleet's reads and writes, and the
workers' registration, routing and health statements."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Text, any_, bindparam, delete, func, or_, select, update
from sqlalchemy.dialects.postgresql import ARRAY, insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from service.domain.clusters import ClusterState, Room
from service.domain.lifecycle import GONE_STATES
from service.store.compiled import compile_hot, constant
from service.store.constraints import unique_index_met
from service.store.db import PoolConnection
from service.store.models import Account, TenantCluster, accounts_table, clusters_table

_C = clusters_table.c
# Open clusters of the regions with a free slot, locked in name order (the order the
# placement trigger of migration 0011 locks them in too): concurrent creates wait here.
_ROOMS = (
    select(_C.name, _C.region, (_C.capacity - _C.placed_accounts).label("free"))
    .where(
        _C.region == any_(bindparam("regions", type_=ARRAY(Text))),
        _C.state == constant(ClusterState.OPEN.value),
        _C.placed_accounts < _C.capacity,
    )
    .order_by(_C.name)
    # NO KEY UPDATE: enough to serialize placements, and no wait for the foreign-key checks
    # of accounts written meanwhile.
    .with_for_update(key_share=True)
)
_ROOMS_HOT = compile_hot(_ROOMS)
_REGIONS = select(_C.region).distinct().order_by(_C.region)
_REGIONS_HOT = compile_hot(_REGIONS)


async def lock_rooms(session: AsyncSession, regions: list[str]) -> list[Room]:
    rows = await session.execute(_ROOMS, {"regions": regions})
    return [Room(name, region, free) for name, region, free in rows]


async def lock_rooms_on(connection: PoolConnection, regions: list[str]) -> list[Room]:
    """`lock_rooms` on a plain pool connection (the batched create), inside its transaction."""
    records = await connection.fetch(_ROOMS_HOT.sql, *_ROOMS_HOT.arguments({"regions": regions}))
    return [Room(record[0], record[1], record[2]) for record in records]


async def known_regions(session: AsyncSession) -> list[str]:
    return list(await session.scalars(_REGIONS))


async def known_regions_on(connection: PoolConnection) -> list[str]:
    return [record[0] for record in await connection.fetch(_REGIONS_HOT.sql)]


# The fleet, for the clusters resource.


async def list_clusters(session: AsyncSession) -> Sequence[TenantCluster]:
    return (await session.scalars(select(TenantCluster).order_by(TenantCluster.name))).all()


async def get_cluster(
    session: AsyncSession, name: str, *, lock: bool = False
) -> TenantCluster | None:
    query = select(TenantCluster).where(TenantCluster.name == name)
    if lock:
        query = query.with_for_update()
    found: TenantCluster | None = await session.scalar(query)
    return found


async def add_cluster(session: AsyncSession, cluster: TenantCluster) -> str | None:
    """Write a new cluster: None when written, else the constraint it met (its name taken)."""

    async def write() -> None:
        async with session.begin_nested():
            session.add(cluster)
            await session.flush()

    return await unique_index_met(write)


async def holds_accounts(session: AsyncSession, name: str) -> int:
    """How many accounts not yet gone (purged, failed) the cluster holds."""
    count = await session.scalar(
        select(func.count())
        .select_from(accounts_table)
        .where(accounts_table.c.cluster == name, accounts_table.c.state.not_in(GONE_STATES))
    )
    return int(count or 0)


async def remove_cluster(session: AsyncSession, name: str) -> None:
    """Delete the cluster; the gone accounts that lived there forget it."""
    await session.execute(
        update(accounts_table).where(accounts_table.c.cluster == name).values(cluster=None)
    )
    await session.execute(delete(clusters_table).where(_C.name == name))


# Workers: registration at start, routing, health.


@dataclass(frozen=True)
class Registration:
    name: str
    region: str
    sealed_url: str
    public_host: str
    public_port: int
    capacity: int


def register_cluster(
    session: Session, cluster: Registration, *, adopt_unplaced: bool = True
) -> int:
    """Upsert the cluster (a known one gets the new URL and public address, keeping its region,
    capacity and state), and (`adopt_unplaced`) place on it every account that has no cluster;
    how many."""
    statement = insert(clusters_table).values(asdict(cluster))
    session.execute(
        statement.on_conflict_do_update(
            index_elements=[_C.name],
            set_={
                "sealed_url": statement.excluded.sealed_url,
                "public_host": statement.excluded.public_host,
                "public_port": statement.excluded.public_port,
            },
        )
    )
    if not adopt_unplaced:
        return 0
    result = session.execute(
        update(accounts_table)
        .where(accounts_table.c.cluster.is_(None))
        .values(cluster=cluster.name)
        .returning(accounts_table.c.id)
    )
    return len(result.all())


@dataclass(frozen=True)
class Address:
    """What a worker needs to reach a cluster and to tell customers where it is."""

    sealed_url: str
    public_host: str
    public_port: int


def address_of(session: Session, name: str) -> Address | None:
    row = session.execute(
        select(_C.sealed_url, _C.public_host, _C.public_port).where(_C.name == name)
    ).first()
    return Address(row[0], row[1], row[2]) if row is not None else None


def cluster_names(session: Session) -> list[str]:
    return list(session.scalars(select(_C.name).order_by(_C.name)))


def cluster_of(session: Session, account_id: int) -> str | None:
    cluster: str | None = session.scalar(select(Account.cluster).where(Account.id == account_id))
    return cluster


def note_health(session: Session, name: str, *, now: datetime, error: str | None) -> None:
    values: dict[str, Any] = (
        {"last_ok_on": now} if error is None else {"last_error": error, "last_error_on": now}
    )
    session.execute(update(clusters_table).where(_C.name == name).values(**values))


def last_ok_on(session: Session, name: str) -> datetime | None:
    found: datetime | None = session.scalar(select(_C.last_ok_on).where(_C.name == name))
    return found


def down_clusters(session: Session) -> list[str]:
    """The clusters whose last recorded outcome was an error (the negation of domain `is_up`)."""
    return list(
        session.scalars(
            select(_C.name)
            .where(
                _C.last_error_on.is_not(None),
                or_(_C.last_ok_on.is_(None), _C.last_ok_on <= _C.last_error_on),
            )
            .order_by(_C.name)
        )
    )
