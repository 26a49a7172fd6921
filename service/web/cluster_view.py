"""A tenant cluster as the clusters resource shows it: never its URL."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from pydantic import ConfigDict, Field, with_config
from typing_extensions import TypedDict

from service.domain.clusters import ClusterState
from service.domain.lifecycle import AccountState
from service.store.models import TenantCluster
from service.web.wire import TimestampText, moment


@with_config(ConfigDict(extra="forbid", title="TenantCluster"))
class ClusterView(TypedDict):
    """A tenant cluster of the fleet (its superuser URL is never shown)."""

    name: str
    region: str
    public_host: Annotated[str, Field(description="Host in the credentials customers get.")]
    public_port: Annotated[int, Field(ge=1, le=65535)]
    capacity: Annotated[int, Field(ge=0, description="Most accounts it may hold.")]
    state: ClusterState
    placed_accounts: Annotated[
        int, Field(description="Accounts it holds (not yet purged, or failed to create).")
    ]
    created_on: TimestampText
    last_ok_on: Annotated[TimestampText | None, Field(description="A worker's last success.")]
    last_error: Annotated[str | None, Field(description="A worker's last transient error.")]
    last_error_on: TimestampText | None


@with_config(ConfigDict(extra="forbid", title="RemovedTenantCluster"))
class RemovedClusterView(ClusterView):
    """A tenant cluster just removed from the fleet."""

    status: Literal["cluster removed"]


def render_cluster(cluster: TenantCluster) -> ClusterView:
    return {
        "name": cluster.name,
        "region": cluster.region,
        "public_host": cluster.public_host,
        "public_port": cluster.public_port,
        "capacity": cluster.capacity,
        "state": ClusterState(cluster.state),
        "placed_accounts": cluster.placed_accounts,
        "created_on": cluster.created_on.isoformat(),
        "last_ok_on": moment(cluster.last_ok_on),
        "last_error": cluster.last_error,
        "last_error_on": moment(cluster.last_error_on),
    }


def render_removed_cluster(cluster: TenantCluster) -> RemovedClusterView:
    return {"status": "cluster removed", **render_cluster(cluster)}


@with_config(ConfigDict(extra="forbid", title="ClusterAccount"))
class ClusterAccountView(TypedDict):
    """An account a tenant cluster holds, of any organization (what to move off a cluster)."""

    id: Annotated[uuid.UUID, Field(description="The account's immutable id.")]
    organization: str
    name: str
    state: AccountState


def render_cluster_account(row: tuple[uuid.UUID, str, str, str]) -> ClusterAccountView:
    public_id, organization, name, state = row
    return {
        "id": public_id,
        "organization": organization,
        "name": name,
        "state": AccountState(state),
    }
