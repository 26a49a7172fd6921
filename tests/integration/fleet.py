"""Tenant clusters for the fleet tests: registered straight into the registry, in a region of
their own (so other tests' creates never land there), and removed with their accounts after."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from sqlalchemy import Engine, delete, select, update
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from service.adapters.embedded import EmbeddedServers
from service.adapters.secret_key import secret_key
from service.domain.passwords import PasswordSeal
from service.settings import Settings
from service.store.models import Account, TenantCluster
from tests.servers import extra_tenant_cluster

UNREACHABLE_URL = "postgresql://nobody:secret@127.0.0.1:9/none"


@dataclass
class Fleet:
    engine: Engine
    seal: PasswordSeal
    names: list[str] = field(default_factory=list)

    def region(self) -> str:
        return f"TEST_{uuid.uuid4().hex[:8].upper()}"

    def add(
        self,
        region: str,
        *,
        capacity: int,
        url: str = UNREACHABLE_URL,
        host: str = "127.0.0.1",
        port: int = 9,
        state: str = "open",
    ) -> str:
        name = f"t-{uuid.uuid4().hex[:10]}"
        with Session(self.engine) as session, session.begin():
            session.add(
                TenantCluster(
                    name=name,
                    region=region,
                    sealed_url=self.seal.seal(url),
                    public_host=host,
                    public_port=port,
                    capacity=capacity,
                    state=state,
                )
            )
        self.names.append(name)
        return name

    def add_real(self, url: str, *, capacity: int = 5) -> tuple[str, str]:
        """A cluster at `url` (reached, and published, at its own address) in a new region:
        (region, name)."""
        address = make_url(url)
        region = self.region()
        name = self.add(
            region, capacity=capacity, url=url, host=address.host or "", port=address.port or 0
        )
        return region, name

    def cluster(self, name: str) -> TenantCluster:
        with Session(self.engine) as session:
            found = session.get(TenantCluster, name)
            assert found is not None
            session.expunge(found)
            return found

    def accounts_on(self, name: str) -> list[str]:
        with Session(self.engine) as session:
            return list(session.scalars(select(Account.name).where(Account.cluster == name)))

    def remove_all(self) -> None:
        """The accounts placed on our clusters (their operations cascade), then the clusters."""
        with Session(self.engine) as session, session.begin():
            session.execute(delete(Account).where(Account.cluster.in_(self.names)))
            session.execute(
                update(Account).where(Account.cluster.in_(self.names)).values(cluster=None)
            )
            session.execute(delete(TenantCluster).where(TenantCluster.name.in_(self.names)))


@pytest.fixture
def fleet(engine: Engine, settings: Settings) -> Iterator[Fleet]:
    made = Fleet(engine, PasswordSeal(secret_key(settings)))
    try:
        yield made
    finally:
        made.remove_all()


@pytest.fixture(scope="module")
def second_servers() -> Iterator[EmbeddedServers]:
    """A real tenant cluster apart from the session's (embedded, in a folder of its own)."""
    with extra_tenant_cluster("provisioner-fleet-") as servers:
        yield servers


@pytest.fixture(scope="module")
def second_cluster(second_servers: EmbeddedServers) -> str:
    """The second cluster's superuser URL."""
    return second_servers.tenant_url
