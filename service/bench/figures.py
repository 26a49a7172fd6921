"""What a benchmark run is asked to do (its options) and what it measured (its figures)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# What `--only` can pick; each brings the baselines its ratios are taken against.
SECTIONS = ("accept", "workers", "e2e", "purge")


def parse_sections(text: str) -> tuple[str, ...]:
    """`--only`'s comma-separated sections, in the order they run; ValueError names a stranger."""
    asked = {part.strip() for part in text.split(",") if part.strip()}
    unknown = sorted(asked - set(SECTIONS))
    if unknown or not asked:
        raise ValueError(f"--only takes some of {', '.join(SECTIONS)}; got {text!r}")
    return tuple(section for section in SECTIONS if section in asked)


@dataclass(frozen=True)
class BenchOptions:
    duration: float = 10.0
    warmup: float = 2.0
    connections: int = 64
    accounts: int = 100_000  # accounts listed with `like`
    purge_accounts: int = 100_000  # accounts past their grace period, purged by one scan
    purge_timeout: float = 3600.0  # then the purge is reported as unfinished, with its progress
    worker_operations: int = 3000  # the backlog each worker-scaling run drains
    worker_counts: tuple[int, ...] = (1, 2, 4)
    e2e_samples: int = 200
    round_trip_samples: int = 500
    simulated_latency: float = 0.0
    port: int = 18080
    profile: bool = False  # also run the accept load against a cProfile'd API (not measured)
    sections: tuple[str, ...] = SECTIONS  # what is measured (`--only`)

    @classmethod
    def quick(
        cls, *, port: int, profile: bool, sections: tuple[str, ...] = SECTIONS
    ) -> BenchOptions:
        """A tiny run that only checks that every measurement works (CI's smoke test)."""
        return cls(
            duration=1.0,
            warmup=0.3,
            connections=8,
            accounts=300,
            purge_accounts=300,
            worker_operations=40,
            worker_counts=(1, 2),
            e2e_samples=5,
            round_trip_samples=20,
            port=port,
            profile=profile,
            sections=sections,
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
