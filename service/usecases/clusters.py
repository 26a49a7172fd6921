"""Fleet use cases: where an accepted create goes (placement, one or a batch), and adding,
changing and removing tenant clusters."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from service.domain.clusters import ClusterAdd, no_room, place, unknown_region
from service.domain.errors import AlreadyExists, Conflict, NotFound, ServiceError
from service.store import clusters as store
from service.store.db import PoolConnection
from service.store.models import TenantCluster


@dataclass(frozen=True)
class Seat:
    """Where one new account goes: `cluster` (None: not placed, while the registry is empty),
    or `refused` when its region is unknown or full (written alone, it is told why)."""

    cluster: str | None = None
    refused: bool = False


def _legacy(region: str, regions: tuple[str, ...]) -> Seat:
    """No cluster registered at all (e.g. the simulated driver): the settings' REGIONS rule."""
    return Seat(None, refused=bool(regions) and region not in regions)


async def place_one(session: AsyncSession, region: str, regions: tuple[str, ...]) -> str | None:
    """The cluster a create in `region` goes to, its slot taken in the session's transaction
    (the trigger counts it when the account row is written); 400 or 409 when there is none."""
    rooms = await store.lock_rooms(session, [region])
    if rooms:
        return place(rooms, [region])[0]
    known = await store.known_regions(session)
    if not known:
        if _legacy(region, regions).refused:
            raise unknown_region(region, list(regions))
        return None
    if region not in known:
        raise unknown_region(region, known)
    raise no_room(region)


async def place_batch(
    connection: PoolConnection, regions: list[str], fallback: Sequence[tuple[str, ...]]
) -> list[Seat]:
    """`place_one` for many creates at once, inside the connection's transaction; a create that
    cannot be placed is refused here and told why when it is written alone."""
    rooms = await store.lock_rooms_on(connection, sorted(set(regions)))
    if not rooms and not await store.known_regions_on(connection):
        return [_legacy(region, allowed) for region, allowed in zip(regions, fallback, strict=True)]
    return [
        Seat(cluster) if cluster is not None else Seat(refused=True)
        for cluster in place(rooms, regions)
    ]


async def add_cluster(
    session: AsyncSession, body: ClusterAdd, *, sealed_url: str, host: str, port: int
) -> TenantCluster:
    cluster = TenantCluster(
        name=body.name,
        region=body.region,
        sealed_url=sealed_url,
        public_host=host,
        public_port=port,
        capacity=body.capacity,
        state="open",
        placed_accounts=0,
    )
    if await store.add_cluster(session, cluster) is not None:
        raise AlreadyExists(f"cluster {body.name} already exists")
    await session.refresh(cluster)
    return cluster


async def _existing(session: AsyncSession, name: str) -> TenantCluster:
    cluster = await store.get_cluster(session, name, lock=True)
    if cluster is None:
        raise NotFound(f"cluster {name} does not exist")
    return cluster


async def change_cluster(
    session: AsyncSession, name: str, changes: dict[str, Any]
) -> TenantCluster:
    cluster = await _existing(session, name)
    for key, value in changes.items():
        setattr(cluster, key, value)
    await session.flush()
    return cluster


async def remove_cluster(session: AsyncSession, name: str) -> TenantCluster:
    cluster = await _existing(session, name)
    held = await store.holds_accounts(session, name)
    if held:
        error: ServiceError = Conflict(
            f"cluster {name} still holds {held} account(s); drain it and move or purge them first"
        )
        raise error
    await store.remove_cluster(session, name)
    return cluster
