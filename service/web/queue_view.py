"""The queue report as `GET /api/v2/queues` answers it: the model is the shape and renders it."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from service.domain.lifecycle import OperationKind
from service.domain.plans import LimitKind
from service.web.wire import TimestampText, ViewPart

Count = Annotated[int, Field(ge=0)]


class QueueDepth(ViewPart):
    name: str
    ready: Count
    unacked: Count
    oldest_waiting_seconds: Annotated[float | None, Field(ge=0)]


class WorkerSeen(BaseModel):
    """A worker's last heartbeat (a newer worker may report more)."""

    model_config = ConfigDict(extra="allow")

    name: str | None = None
    active: Count | None = None
    processed: Count | None = None
    last_heartbeat: TimestampText | None = None


class PurgeBacklog(ViewPart):
    due: Count
    oldest_due_since: TimestampText | None


class NextPurge(ViewPart):
    account: str
    scheduled_deletion_time: TimestampText


class StuckOperation(ViewPart):
    id: Annotated[str, Field(json_schema_extra={"format": "uuid"})]
    kind: OperationKind
    account: str
    claimed_on: TimestampText


class ClusterTotals(ViewPart):
    """A tenant cluster as its last usage scan measured it."""

    name: str
    accounts: Count
    storage_bytes: Count
    connections: Count
    over_limit: dict[LimitKind, Count] = Field(description="Accounts over each limit.")
    near_limit: dict[LimitKind, Count] = Field(description="Accounts at >= 90 % of each limit.")
    measured_on: TimestampText


class ClusterHealth(ViewPart):
    """A registered tenant cluster: its placements and what the workers last saw of it."""

    name: str
    region: str
    state: str
    placed_accounts: int
    capacity: Count
    up: bool = Field(description="false while its last recorded outcome is an error.")
    last_ok_on: TimestampText | None
    last_error: str | None = Field(description="The last transient error a worker met there.")
    last_error_on: TimestampText | None


class LimitReached(ViewPart):
    """An account over, or at >= 90 % of, a limit of its plan."""

    account: str
    cluster: str
    storage_bytes: Count
    connections: Count
    over_limit: str | None = Field(description="Why it is over its storage limit, if it is.")
    near_limit: list[LimitKind]
    measured_on: TimestampText


class QueueReport(ViewPart):
    """Queues, workers and backlogs: the operator's view."""

    queues: list[QueueDepth]
    workers: list[WorkerSeen]
    operations_last_hour: dict[str, dict[str, Count]] = Field(
        description="Counts by kind, then state (your organization)."
    )
    purge_backlog: PurgeBacklog
    next_purges: list[NextPurge]
    stuck: list[StuckOperation]
    clusters: list[ClusterTotals] = Field(
        default_factory=list, description="Usage totals per tenant cluster."
    )
    fleet: list[ClusterHealth] = Field(
        default_factory=list, description="Health and placements per registered tenant cluster."
    )
    limits_reached: list[LimitReached] = Field(
        default_factory=list,
        description="Your accounts over or near a limit (a short list, over ones first).",
    )
    generated_on: TimestampText


def render_queue_report(report: dict[str, Any]) -> dict[str, Any]:
    """The adapter's report, checked against the model and written as it says."""
    rendered: dict[str, Any] = QueueReport.model_validate(report).model_dump(
        mode="json", exclude_unset=True
    )
    return rendered
