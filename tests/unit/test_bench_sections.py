"""`provisioner bench --only`: the sections asked for, and a report of only what was measured."""

from __future__ import annotations

import pytest

from service.bench.figures import Figures, parse_sections
from service.bench.report import add_ratios_and_targets, render_table


def _load(per_second: float) -> dict[str, float]:
    return {"per_second": per_second, "p50_ms": 1.0, "p99_ms": 2.0, "requests": 100}


def test_sections_run_in_the_benchmark_order_whatever_order_they_are_asked_in() -> None:
    assert parse_sections("purge, accept") == ("accept", "purge")


@pytest.mark.parametrize("text", ["", "accept,nope", " , "])
def test_an_unknown_or_empty_section_is_refused_by_name(text: str) -> None:
    with pytest.raises(ValueError, match="accept, workers, e2e, purge"):
        parse_sections(text)


def test_a_run_of_the_accept_section_reports_its_ratios_targets_and_rows_only() -> None:
    figures = Figures(
        options={"connections": 64, "accounts": 10},
        baselines={"hello_world": _load(1000.0), "insert_push": _load(400.0)},
        service={
            "accept": _load(200.0),
            "accept_scaled_out": {**_load(300.0), "processes": 2},
            "poll": _load(600.0),
            "peak_rss_mib": {"api": 90.0},
        },
    )
    add_ratios_and_targets(figures)
    assert figures.ratios == {
        "accept_vs_hello": 0.2,
        "accept_vs_insert_push": 0.5,
        "poll_vs_hello": 0.6,
        "accept_scale_out": 1.5,
    }
    assert {name: t["met"] for name, t in figures.targets.items()} == {
        "accept req/s >= 25% of hello-world": False,
        "accept p99 <= 50 ms": True,
        "poll req/s >= 50% of hello-world": True,
    }
    table = render_table(figures)
    assert "| Accept `POST /api/v2/accounts` (64 conns) | 200 req/s" in table
    assert "| Peak RSS | API 90.0 MiB |" in table
    assert "Celery" not in table
    assert "Purge" not in table
