"""One account as `provisioner accounts get` prints it (plain fields, then its owner, usage
against its plan and why it is over it, each on one readable line) and its plan as
`accounts plan` does."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rich.console import Group
from rich.table import Table
from rich.text import Text

from service.client.render import details, moment, state
from service.client.tables import FittedTable

TIMES = (
    "created_on",
    "updated_on",
    "dropped_on",
    "scheduled_deletion_time",
    "restored_on",
    "moved_on",
)
NESTED = ("owner", "usage", "limits", "over_limit")
FIRST = ("name", "id", "state", "edition", "external_id")
_UNITS = ("bytes", "KiB", "MiB", "GiB", "TiB", "PiB")
_KIB = 1024


def size(count: int | None) -> str:
    """A byte count in binary units (`1.5 GiB`), or `?` when unknown."""
    if count is None:
        return "?"
    value, unit = float(count), 0
    while value >= _KIB and unit < len(_UNITS) - 1:
        value, unit = value / _KIB, unit + 1
    return f"{count} bytes" if unit == 0 else f"{value:.1f} {_UNITS[unit]}"


def owner_line(owner: dict[str, Any] | None) -> str | None:
    """`Ada Lovelace <ada@example.com>, administrator ADA` (the parts that were given)."""
    if not owner:
        return None
    person = " ".join(part for part in (owner.get("first_name"), owner.get("last_name")) if part)
    email = owner.get("email")
    contact = f"{person} <{email}>" if person and email else person or email or ""
    admin = owner.get("admin_name")
    administrator = f"administrator {admin}" if admin else ""
    return ", ".join(part for part in (contact, administrator) if part) or None


def _text(value: int | None, shown: Callable[[int], str]) -> str | None:
    return None if value is None else shown(value)


def _against(used: str, limit: str | None) -> str:
    return f"{used} of {limit}" if limit is not None else used


def plan_lines(account: dict[str, Any]) -> dict[str, str | Text | None]:
    """Connections and storage used against the edition's limits, when measured, and why the
    account is over its plan."""
    usage, limits = account.get("usage") or {}, account.get("limits") or {}
    if not usage and not limits:
        return {}
    measured = usage.get("measured_on")
    used, limit = usage.get("connections"), limits.get("connections")
    storage = limits.get("storage_bytes")
    over = account.get("over_limit")
    return {
        "connections": _against("?" if used is None else str(used), _text(limit, str)),
        "storage": _against(size(usage.get("storage_bytes")), _text(storage, size)),
        "measured": moment(measured) if measured else "not yet (the usage scan has not run)",
        "over limit": Text(f"{over['reason']} since {moment(over['since'])}", style="red")
        if over
        else None,
    }


def account_details(account: dict[str, Any]) -> Table:
    """Name, id and state first; times as `YYYY-MM-DD HH:MM:SS`; nested objects as lines."""
    fields: dict[str, Any] = {key: account.get(key) for key in FIRST}
    fields.update({k: v for k, v in account.items() if k not in fields and k not in NESTED})
    fields["state"] = state(account["state"])
    for key in TIMES:
        fields[key] = moment(account.get(key))
    fields["owner"] = owner_line(account.get("owner"))
    fields.update(plan_lines(account))
    return details(fields)


def _shown_limit(name: str, value: int | None) -> str:
    if value is None:
        return "?"
    return size(value) if name == "storage_bytes" else str(value)


def plan_table(plan: dict[str, Any]) -> Group:
    """`accounts plan`: a line naming the account, its edition and when it was measured, then
    each limit of the edition, the usage measured against it, and a flag."""
    measured = plan.get("measured_on")
    when = f"measured {moment(measured)}" if measured else "not measured yet"
    rows = FittedTable("LIMIT", "ALLOWED", "USED", "")
    for limit in plan["limits"]:
        name = limit["name"]
        flag = Text("over", style="red") if limit["over"] else Text("near", style="yellow")
        rows.add_row(
            name.replace("_", " "),
            _shown_limit(name, limit["limit"]),
            _shown_limit(name, limit["used"]),
            flag if limit["over"] or limit["near"] else "",
        )
    return Group(Text(f"{plan['name']} · {plan['edition']} · {when}", style="bold"), rows)
