"""Moving an account to another tenant cluster: the request body and why a move is refused."""

from __future__ import annotations

import uuid

from pydantic import BaseModel, ConfigDict, Field, StrictStr

from service.domain.clusters import ClusterState, cluster_name
from service.domain.errors import Conflict, InvalidArgument, ServiceError


class AccountMove(BaseModel):
    """The body of `POST /api/v2/accounts/{name}:move`."""

    model_config = ConfigDict(extra="forbid")

    cluster: StrictStr = Field(
        min_length=1, max_length=63, description="The tenant cluster to move the account to."
    )

    @classmethod
    def parse(cls, body: object) -> str:
        """The target cluster's name; InvalidArgument when the body is not such an object."""
        if not isinstance(body, dict) or not isinstance(body.get("cluster"), str):
            raise InvalidArgument('request body must be a JSON object {"cluster": "NAME"}')
        extra = sorted(set(body) - {"cluster"})
        if extra:
            raise InvalidArgument("invalid move: " + "; ".join(f"{k}: not a field" for k in extra))
        return cluster_name(body["cluster"])


class FleetMove(BaseModel):
    """The body of `POST /api/v2/clusters/{name}:move` (the cluster is the target)."""

    model_config = ConfigDict(extra="forbid")

    account: uuid.UUID = Field(
        description="The `id` of the account to move, of any organization (names repeat)."
    )

    @classmethod
    def parse(cls, body: object) -> uuid.UUID:
        """The account's id; InvalidArgument when the body is not such an object."""
        if not isinstance(body, dict) or not isinstance(body.get("account"), str):
            raise InvalidArgument('request body must be a JSON object {"account": "<id>"}')
        extra = sorted(set(body) - {"account"})
        if extra:
            raise InvalidArgument("invalid move: " + "; ".join(f"{k}: not a field" for k in extra))
        try:
            return uuid.UUID(body["account"])
        except ValueError:
            raise InvalidArgument("account: not an account id (a UUID)") from None


def move_refusal(
    account: str,
    *,
    source: str | None,
    source_region: str | None,
    target: str,
    target_state: str,
    target_region: str,
    full: bool,
) -> ServiceError | None:
    """Why the account may not move to the target (None: it may). The account's region is its
    cluster's; the target must be another open cluster of that region with a free slot."""
    if source is None:
        return Conflict(f"account {account} is on no registered cluster; nothing to move from")
    if target == source:
        return Conflict(f"account {account} is already on cluster {target}")
    if target_region != source_region:
        return InvalidArgument(
            f"cluster: {target} is in region {target_region}, account {account} in "
            f"{source_region}; an account moves only within its region"
        )
    if target_state != ClusterState.OPEN.value:
        return Conflict(f"cluster {target} is {target_state}; it takes no accounts")
    if full:
        return Conflict(f"cluster {target} has no room for another account")
    return None
