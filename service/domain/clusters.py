"""The fleet of tenant clusters as values: names, states, the bodies that add and change one,
where a new account goes (placement), and what a refused placement says."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr, ValidationError

from service.domain.errors import Conflict, InvalidArgument
from service.domain.schemas import describe_error

# The cluster `TENANT_DATABASE_URL` registers (and the usage scan's name for it).
DEFAULT_CLUSTER = "default"
DEFAULT_CAPACITY = 1000  # of a cluster added through the API
# Of a cluster registered from configuration (TENANT_DATABASE_URL, `up --tenant-clusters`).
CONFIGURED_CAPACITY = 100_000
_NAME = re.compile(r"[a-z][a-z0-9_-]{0,62}")
_Model = TypeVar("_Model", bound=BaseModel)
NAME_RULE = "must be a lower-case letter, then up to 62 lower-case letters, digits, _ or -"


class ClusterState(StrEnum):
    OPEN = "open"  # takes new accounts
    DRAINING = "draining"  # keeps serving its accounts, takes no new ones
    CLOSED = "closed"  # takes no new accounts (nothing is moved away)


def cluster_name(raw: str) -> str:
    """A cluster name as stored (lower case); InvalidArgument when it is not one."""
    name = raw.strip().lower()
    if not _NAME.fullmatch(name):
        raise InvalidArgument(f"cluster name {raw!r}: {NAME_RULE}")
    return name


class ClusterAdd(BaseModel):
    """The body of `POST /api/v2/clusters`. The URL is write-only: never returned or logged."""

    model_config = ConfigDict(extra="forbid")

    name: StrictStr = Field(description=f"The cluster's name: {NAME_RULE}.")
    region: StrictStr = Field(
        min_length=1, max_length=64, description="Its region (case-insensitive, stored upper)."
    )
    url: StrictStr = Field(
        min_length=1,
        max_length=2048,
        description="A superuser's `postgresql://` URL (write-only: sealed, never returned).",
        json_schema_extra={"writeOnly": True},
    )
    public_host: StrictStr | None = Field(
        default=None, max_length=255, description="Host customers connect to (default: the URL's)."
    )
    public_port: StrictInt | None = Field(
        default=None, ge=1, le=65535, description="Port customers connect to (default: the URL's)."
    )
    capacity: StrictInt = Field(
        default=DEFAULT_CAPACITY, ge=0, le=10_000_000, description="Most accounts it may hold."
    )

    @classmethod
    def parse(cls, body: object) -> ClusterAdd:
        model = _validated(cls, body)
        return model.model_copy(
            update={"name": cluster_name(model.name), "region": model.region.strip().upper()}
        )


class ClusterPatch(BaseModel):
    """The body of `PATCH /api/v2/clusters/{name}`: only the keys present change."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"minProperties": 1})

    state: ClusterState | None = Field(default=None, description="open, draining or closed.")
    capacity: StrictInt | None = Field(default=None, ge=0, le=10_000_000)
    public_host: StrictStr | None = Field(default=None, min_length=1, max_length=255)
    public_port: StrictInt | None = Field(default=None, ge=1, le=65535)
    url: StrictStr | None = Field(
        default=None,
        min_length=1,
        max_length=2048,
        description="A new superuser URL (probed like an add; write-only).",
        json_schema_extra={"writeOnly": True},
    )

    @classmethod
    def parse(cls, body: object) -> dict[str, Any]:
        """The changes (keys present, none null); InvalidArgument names every bad key."""
        model = _validated(cls, body)
        changes = model.model_dump(mode="json", exclude_unset=True)
        nulls = sorted(key for key, value in changes.items() if value is None)
        if nulls:
            problems = "; ".join(f"{key}: cannot be null" for key in nulls)
            raise InvalidArgument("invalid cluster change: " + problems)
        if not changes:
            raise InvalidArgument("invalid cluster change: name at least one field to change")
        return changes


def _validated(cls: type[_Model], body: object) -> _Model:
    if not isinstance(body, dict):
        raise InvalidArgument("request body must be a JSON object")
    try:
        return cls.model_validate(body)
    except ValidationError as exc:
        problems = [describe_error(error) for error in exc.errors(include_url=False)]
        raise InvalidArgument("invalid cluster: " + "; ".join(problems)) from None


@dataclass
class Room:
    """An open cluster as placement sees it, under its row lock."""

    name: str
    region: str
    free: int


def place(rooms: list[Room], regions: list[str]) -> list[str | None]:
    """For each new account (by its region), the open cluster of that region with the most free
    slots at that moment (ties: by name); None when its region has none left. Takes the slots."""
    placed: list[str | None] = []
    for region in regions:
        candidates = [room for room in rooms if room.region == region and room.free > 0]
        if not candidates:
            placed.append(None)
            continue
        best = min(candidates, key=lambda room: (-room.free, room.name))
        best.free -= 1
        placed.append(best.name)
    return placed


def no_room(region: str) -> Conflict:
    return Conflict(
        f"region {region} has no open tenant cluster with room for another account; "
        "retry later or choose another region"
    )


def unknown_region(region: str, regions: list[str]) -> InvalidArgument:
    known = ", ".join(regions) if regions else "none"
    return InvalidArgument(f"region: {region} is not a region of the service (regions: {known})")


MIN_SERVER_VERSION = 140000  # pg_terminate_backend with a timeout; DROP DATABASE ... WITH (FORCE)


def version_problem(version: int) -> str | None:
    """Why a server of `version` (server_version_num) cannot be a tenant cluster, if it can't."""
    if version < MIN_SERVER_VERSION:
        return f"PostgreSQL {version // 10000} is older than 14, which we support"
    return None


def rights_problem(superuser: bool, createrole: bool, createdb: bool) -> str | None:
    """What the role lacks to provision and harden a cluster, if anything."""
    if superuser:
        return None
    missing = [
        name for name, has in (("CREATEROLE", createrole), ("CREATEDB", createdb)) if not has
    ]
    missing.append("SUPERUSER (needed to revoke PUBLIC's rights on databases it does not own)")
    return "the configured role lacks " + ", ".join(missing)


def is_up(last_ok_on: datetime | None, last_error_on: datetime | None) -> bool:
    """Whether the cluster's last recorded outcome was a success (unknown counts as up)."""
    return last_error_on is None or (last_ok_on is not None and last_ok_on > last_error_on)
