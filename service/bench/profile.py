"""Reading a cProfile'd API's stats: its busiest functions and its busy time by library."""

from __future__ import annotations

import pstats
from pathlib import Path
from typing import Any

# The event loop waiting for sockets is not work: left out of the shares.
_IDLE = ("run_until_complete", "run_forever", "select", "poll")
PROFILE_ROWS = 25


def busiest_functions(stats_path: Path) -> list[dict[str, Any]]:
    """The functions with the most own time (tottime) and their share of all busy time."""
    stats = pstats.Stats(str(stats_path)).stats  # type: ignore[attr-defined]
    rows = [
        (f"{Path(file).name}:{line}({name})", calls, own)
        for (file, line, name), (_, calls, own, _, _) in stats.items()
        if not any(idle in name for idle in _IDLE)
    ]
    busy = sum(own for _, _, own in rows) or 1.0
    rows.sort(key=lambda row: row[2], reverse=True)
    return [
        {
            "function": where,
            "calls": calls,
            "own_seconds": round(own, 3),
            "share": round(own / busy, 3),
        }
        for where, calls, own in rows[:PROFILE_ROWS]
    ]


_START_UP = ("marshal.loads", "builtins.compile", "__build_class__", "builtins.exec")


def component_of(file: str, name: str) -> str:
    """Which library (or our code, the standard library, start-up) a profiled function is in."""
    if file.startswith("<frozen") or any(part in name for part in _START_UP):
        return "start-up (imports)"
    if "site-packages/" in file:
        return file.split("site-packages/", 1)[1].split("/", 1)[0].removesuffix(".py")
    if "/service/" in file or "/workers/" in file:
        return "our code (service/, workers/)"
    if file == "~":
        return "built-ins (C)"
    if "/lib/python3" in file:
        module = file.split("/lib/python3", 1)[1].split("/", 2)[1].removesuffix(".py")
        return f"stdlib {module}"
    return file


def busy_time_by_component(stats_path: Path) -> list[dict[str, Any]]:
    """Own time summed by library: where the accept path's CPU goes, start-up included."""
    stats = pstats.Stats(str(stats_path)).stats  # type: ignore[attr-defined]
    totals: dict[str, float] = {}
    for (file, _, name), (_, _, own, _, _) in stats.items():
        if any(idle in name for idle in _IDLE):
            continue
        component = component_of(file, name)
        totals[component] = totals.get(component, 0.0) + own
    busy = sum(totals.values()) or 1.0
    ranked = sorted(totals.items(), key=lambda item: item[1], reverse=True)
    return [
        {"component": component, "own_seconds": round(own, 3), "share": round(own / busy, 3)}
        for component, own in ranked[:PROFILE_ROWS]
    ]
