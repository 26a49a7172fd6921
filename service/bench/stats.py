"""Latency summaries: requests per second and percentiles from raw samples."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True)
class LoadResult:
    """One measured load: throughput, latency percentiles (ms) and what went wrong."""

    requests: int
    seconds: float
    per_second: float
    p50_ms: float
    p99_ms: float
    max_ms: float
    unexpected: dict[int, int] = field(default_factory=dict)  # status -> count
    errors: int = 0  # connections that broke


def percentile(sorted_samples: Sequence[float], fraction: float) -> float:
    """The nearest-rank percentile of already sorted samples (0 when there are none)."""
    if not sorted_samples:
        return 0.0
    rank = max(1, math.ceil(fraction * len(sorted_samples)))
    return sorted_samples[rank - 1]


def summarize(
    latencies_seconds: Sequence[float],
    elapsed_seconds: float,
    *,
    unexpected: dict[int, int] | None = None,
    errors: int = 0,
) -> LoadResult:
    ordered = sorted(latencies_seconds)
    return LoadResult(
        requests=len(ordered),
        seconds=round(elapsed_seconds, 3),
        per_second=round(len(ordered) / elapsed_seconds, 1) if elapsed_seconds > 0 else 0.0,
        p50_ms=round(percentile(ordered, 0.50) * 1000, 2),
        p99_ms=round(percentile(ordered, 0.99) * 1000, 2),
        max_ms=round((ordered[-1] if ordered else 0.0) * 1000, 2),
        unexpected=dict(unexpected or {}),
        errors=errors,
    )
