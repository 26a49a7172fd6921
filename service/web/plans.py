"""`GET /api/v2/accounts/{ref}/plan`: an account's edition, each limit and its usage against it."""

from __future__ import annotations

from typing import Annotated, Literal

from aiohttp import web
from pydantic import ConfigDict, Field, with_config
from typing_extensions import TypedDict

from service.domain.plans import NEAR_LIMIT_SHARE, LimitKind, PlanLimits
from service.domain.roles import Permission
from service.domain.schemas import Edition
from service.domain.usage import UsageSeen
from service.store.listing import read_account
from service.web.accounts import account_ref
from service.web.auth import authorize
from service.web.keys import POOL, SETTINGS
from service.web.responses import json_response
from service.web.wire import TimestampText, moment


@with_config(ConfigDict(extra="forbid", title="PlanLimit"))
class PlanLimitView(TypedDict):
    """One limit of the plan, and the account's last measured usage against it."""

    name: Literal["connections", "storage_bytes"]
    limit: Annotated[int, Field(ge=0, description="What the edition allows.")]
    used: Annotated[
        int | None, Field(ge=0, description="Last measured; null until the usage scan ran.")
    ]
    over: Annotated[bool, Field(description="Above the limit (at the limit is allowed).")]
    near: Annotated[bool, Field(description=f"At or above {NEAR_LIMIT_SHARE:.0%} of the limit.")]


@with_config(ConfigDict(extra="forbid", title="Plan"))
class PlanView(TypedDict):
    """An account's plan: its edition, every limit, and its usage against each."""

    id: Annotated[str, Field(description="The account's id.", json_schema_extra={"format": "uuid"})]
    name: Annotated[str, Field(description="The account's name.")]
    edition: Edition
    measured_on: Annotated[
        TimestampText | None, Field(description="When the usage was measured; null: never.")
    ]
    limits: list[PlanLimitView]


def _limits(limits: PlanLimits, usage: UsageSeen | None) -> list[PlanLimitView]:
    storage = usage.storage_bytes if usage is not None else None
    connections = usage.connections if usage is not None else None
    over = limits.exceeded(storage or 0, connections or 0) if usage is not None else []
    near = limits.near(storage or 0, connections or 0) if usage is not None else []
    return [
        {
            "name": "connections",
            "limit": limits.connections,
            "used": connections,
            "over": LimitKind.CONNECTIONS in over,
            "near": LimitKind.CONNECTIONS in near,
        },
        {
            "name": "storage_bytes",
            "limit": limits.storage_bytes,
            "used": storage,
            "over": LimitKind.STORAGE in over,
            "near": LimitKind.STORAGE in near,
        },
    ]


async def get_plan_handler(request: web.Request) -> web.Response:
    principal = await authorize(request, Permission.READ_ACCOUNTS)
    settings = request.app[SETTINGS]
    account, usage = await read_account(
        request.app[POOL],
        principal.organization_id,
        account_ref(request),
        wait_seconds=settings.db_timeout_seconds,
    )
    edition = Edition(account.edition)
    plan: PlanView = {
        "id": str(account.public_id),
        "name": account.name,
        "edition": edition,
        "measured_on": moment(usage.measured_on) if usage is not None else None,
        "limits": _limits(settings.plans()[edition], usage),
    }
    return json_response(plan)
