"""Figures tests collect and the session prints at its end: one line of `name=value` per test."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, fields
from typing import Any, Generic, TypeVar

import pytest


def shown(spec: str = "", *, label: str | None = None, unit: str = "", default: Any = 0) -> Any:
    """A figure printed as `label=value` (`label=""`: the value alone), `spec` its format."""
    return field(default=default, metadata={"spec": spec, "label": label, "unit": unit})


@dataclass
class Tally:
    """A test's figures: its fields, in order, then what `notes` adds in parentheses."""

    notes: list[str] = field(default_factory=list, kw_only=True)

    def line(self) -> str:
        parts = []
        for figure in fields(self):
            if figure.name == "notes":
                continue
            value = f"{getattr(self, figure.name):{figure.metadata.get('spec', '')}}"
            value += figure.metadata.get("unit", "")
            label = figure.metadata.get("label")
            parts.append(value if label == "" else f"{label or figure.name}={value}")
        extra = f"  ({'; '.join(self.notes)})" if self.notes else ""
        return " ".join(parts) + extra


T = TypeVar("T", bound=Tally)


class Section(Generic[T]):
    """The tallies of a session's tests, printed under one heading at its end."""

    def __init__(self, heading: str) -> None:
        self.heading = heading
        self.tallies: list[T] = []

    def kept(self, tally: T) -> Iterator[T]:
        """For a fixture: hand the test its tally, keep it for the summary."""
        yield tally
        self.tallies.append(tally)

    def write(self, terminalreporter: pytest.TerminalReporter) -> None:
        if self.tallies:
            terminalreporter.section(self.heading)
            for tally in self.tallies:
                terminalreporter.write_line(tally.line())
