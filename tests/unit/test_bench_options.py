"""`provisioner bench`'s options reach BenchOptions by name; `--quick` swaps in the small run."""

from __future__ import annotations

from dataclasses import asdict, fields

import pytest
from typer.testing import CliRunner

from service.bench import runner
from service.bench.figures import BenchOptions
from service.cli import app
from tests.log_lines import configured_logging

# Every option but --output given a value other than its default.
EVERY_OPTION = (
    "--duration=3.5", "--warmup=1", "--connections=9", "--accounts=11", "--purge-accounts=12",
    "--purge-timeout=13", "--worker-operations=14", "--workers=3,5", "--e2e-samples=15",
    "--latency=0.25", "--port=16", "--profile", "--only=purge,e2e", "--usage-accounts=17",
    "--usage-databases=18", "--viewers=19",
)  # fmt: skip


def _options(monkeypatch: pytest.MonkeyPatch, *args: str) -> BenchOptions:
    """The options `provisioner bench ARGS` would run with (nothing is measured)."""
    asked: list[BenchOptions] = []

    def run_and_report(options: BenchOptions, *_: object) -> str:
        asked.append(options)
        return ""

    monkeypatch.setattr(runner, "run_and_report", run_and_report)
    # The command configures logging to CliRunner's stderr, closed once it returns: put the
    # logging of the tests after this one back as it was.
    with configured_logging():
        result = CliRunner().invoke(app, ["bench", *args])
    assert result.exit_code == 0, result.output
    return asked[0]


def test_the_defaults_of_the_command_are_the_defaults_of_the_options(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert _options(monkeypatch) == BenchOptions()


def test_every_option_reaches_its_field_converted_where_the_names_differ(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    options = _options(monkeypatch, *EVERY_OPTION)
    assert options.worker_counts == (3, 5)
    assert options.simulated_latency == 0.25
    assert options.sections == ("e2e", "purge")
    assert options.viewer_seconds == 7.0
    # Only the fields no option sets keep their defaults: none is dropped on the way.
    unchanged = {
        option.name
        for option in fields(BenchOptions)
        if getattr(options, option.name) == option.default
    }
    assert unchanged == {"round_trip_samples", "ab_rounds"}


def test_quick_takes_the_small_values_and_keeps_only_port_profile_and_sections(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    options = _options(monkeypatch, "--quick", *EVERY_OPTION)
    assert asdict(options) == {
        **asdict(BenchOptions()),
        "duration": 1.0,
        "warmup": 0.3,
        "connections": 8,
        "accounts": 300,
        "purge_accounts": 300,
        "worker_operations": 40,
        "worker_counts": (1, 2),
        "e2e_samples": 5,
        "round_trip_samples": 20,
        "usage_accounts": 300,
        "usage_databases": 5,
        "viewers": 5,
        "viewer_seconds": 1.5,
        "ab_rounds": 1,
        "port": 16,
        "profile": True,
        "sections": ("e2e", "purge"),
    }
