"""What a benchmark run is asked to do (its options) and what it measured (its figures)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any, TypeVar

# What `--only` can pick; each brings the baselines its ratios are taken against. Placement
# registers tenant clusters and usage places accounts on one: they run last, in this order.
SECTIONS = ("accept", "workers", "e2e", "purge", "graphql", "console", "placement", "usage")
# The metadata key of an option's value in a quick run (see `sized`).
QUICK = "quick"
T = TypeVar("T")


def parse_sections(text: str) -> tuple[str, ...]:
    """`--only`'s comma-separated sections, in the order they run; ValueError names a stranger."""
    asked = {part.strip() for part in text.split(",") if part.strip()}
    unknown = sorted(asked - set(SECTIONS))
    if unknown or not asked:
        raise ValueError(f"--only takes some of {', '.join(SECTIONS)}; got {text!r}")
    return tuple(section for section in SECTIONS if section in asked)


def sized(full: T, *, quick: T) -> T:
    """An option's value in a full run, and the small one `BenchOptions.quick` takes instead."""
    return field(default=full, metadata={QUICK: quick})


@dataclass(frozen=True)
class BenchOptions:
    duration: float = sized(10.0, quick=1.0)
    warmup: float = sized(2.0, quick=0.3)
    connections: int = sized(64, quick=8)
    accounts: int = sized(100_000, quick=300)  # accounts listed with `like`
    # Accounts past their grace period, purged by one scan.
    purge_accounts: int = sized(100_000, quick=300)
    purge_timeout: float = 3600.0  # then the purge is reported as unfinished, with its progress
    worker_operations: int = sized(3000, quick=40)  # the backlog each worker-scaling run drains
    worker_counts: tuple[int, ...] = sized((1, 2, 4), quick=(1, 2))
    e2e_samples: int = sized(200, quick=5)
    round_trip_samples: int = sized(500, quick=20)
    # Accounts of one cluster measured by one usage scan.
    usage_accounts: int = sized(100_000, quick=300)
    # Real databases whose sizes the PostgreSQL driver's query reads.
    usage_databases: int = sized(1000, quick=5)
    viewers: int = sized(100, quick=5)  # open SSE streams of the console's live feed
    # How long the viewers (and the idle baseline) are measured.
    viewer_seconds: float = sized(20.0, quick=1.5)
    # Alternating rounds of the A/B sections (graphql, placement).
    ab_rounds: int = sized(2, quick=1)
    simulated_latency: float = 0.0
    port: int = 18080
    profile: bool = False  # also run the accept load against a cProfile'd API (not measured)
    sections: tuple[str, ...] = SECTIONS  # what is measured (`--only`)

    @classmethod
    def quick(
        cls, *, port: int, profile: bool, sections: tuple[str, ...] = SECTIONS
    ) -> BenchOptions:
        """A tiny run that only checks that every measurement works (CI's smoke test)."""
        small = {
            option.name: option.metadata[QUICK]
            for option in fields(cls)
            if QUICK in option.metadata
        }
        return cls(**small, port=port, profile=profile, sections=sections)

    @classmethod
    def from_command(cls, given: Mapping[str, Any], sections: tuple[str, ...]) -> BenchOptions:
        """`provisioner bench`'s parameters by name: those named after a field taken as they are,
        the others converted (`sections` are `--only`'s, parsed)."""
        same = {option.name: given[option.name] for option in fields(cls) if option.name in given}
        return cls(
            **same,
            worker_counts=tuple(int(n) for n in given["workers"].split(",")),
            simulated_latency=given["latency"],
            sections=sections,
            viewer_seconds=2 * given["duration"],
        )


@dataclass
class Figures:
    """Everything measured; ratios are ours divided by the same-run baseline."""

    machine: dict[str, Any] = field(default_factory=dict)
    options: dict[str, Any] = field(default_factory=dict)
    baselines: dict[str, Any] = field(default_factory=dict)
    service: dict[str, Any] = field(default_factory=dict)
    ratios: dict[str, float] = field(default_factory=dict)
    targets: dict[str, dict[str, Any]] = field(default_factory=dict)
