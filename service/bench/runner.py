"""`provisioner bench`: the service and its same-run baselines, measured on this machine.

Every figure comes from real processes: PostgreSQL and Redis (embedded in a scratch folder, or
the configured servers with a scratch database), `provisioner serve` and `provisioner worker`
with the `simulated` driver, and a load generator in a process of its own.
"""

from __future__ import annotations

import contextlib
import json
import os
import platform
import secrets
import shutil
import tempfile
import time
from collections.abc import Iterator
from dataclasses import asdict
from pathlib import Path
from typing import Any

from sqlalchemy import text

from service.adapters.embedded import embedded_servers
from service.adapters.processes import Child
from service.bench.api_runs import (
    measure_accept_and_poll,
    measure_accept_scaled_out,
    profile_accept,
)
from service.bench.baseline_runs import measure_baselines
from service.bench.figures import BenchOptions, Figures
from service.bench.harness import Bench, Say
from service.bench.processes import children_peak_rss_mib, peak_rss_mib
from service.bench.purge_runs import measure_listing_and_purge
from service.bench.report import add_ratios_and_targets, render_table
from service.bench.worker_runs import measure_end_to_end, measure_workers
from service.settings import Settings
from service.store.db import create_sync_engine


@contextlib.contextmanager
def scratch_dir() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="provisioner-bench-") as folder:
        yield Path(folder)


@contextlib.contextmanager
def _servers(settings: Settings, work_dir: Path, say: Say) -> Iterator[tuple[str, str]]:
    """Embedded servers in the scratch folder, or a scratch database on the configured one."""
    if settings.database_url and settings.redis_url:
        with scratch_database(settings.database_url) as database_url:
            yield database_url, settings.redis_url
        return
    data_dir = work_dir / "servers"
    try:
        # The simulated driver provisions nothing: no tenant cluster.
        with embedded_servers(data_dir, tenant=False, progress=say) as servers:
            yield servers.database_url, servers.redis_url
    finally:
        # As root, PostgreSQL's data is staged outside the scratch folder (a symlink to it).
        staged = data_dir / "postgres"
        if staged.is_symlink():
            shutil.rmtree(staged.resolve().parent, ignore_errors=True)


@contextlib.contextmanager
def scratch_database(database_url: str) -> Iterator[str]:
    """A new database on the configured server for the benchmark's rows, dropped afterwards."""
    name = f"provisioner_bench_{secrets.token_hex(4)}"
    admin = create_sync_engine(database_url).execution_options(isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            yield admin.url.set(database=name).render_as_string(hide_password=False)
        finally:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


def run_and_report(options: BenchOptions, settings: Settings, output: Path, say: Say) -> str:
    """Run the benchmark, write its figures to `output` as JSON; the table to print."""
    figures = run_bench(options, settings, say)
    add_ratios_and_targets(figures)
    output.write_text(json.dumps(asdict(figures), indent=2) + "\n")
    say(f"figures written to {output}")
    return render_table(figures)


def run_bench(options: BenchOptions, settings: Settings, say: Say) -> Figures:
    with scratch_dir() as work_dir, _servers(settings, work_dir, say) as (database, redis):
        bench = Bench(options, work_dir, say)
        bench.configure(database, redis)
        try:
            _measure_all(bench)
        finally:
            bench.close()
        return bench.figures


def _measure_all(bench: Bench) -> None:
    sections = bench.options.sections
    bench.figures.machine = machine_facts()
    measure_baselines(bench)
    bench.prepare_service()
    api = bench.start_api()
    worker: Child | None = None
    if "accept" in sections:
        api = _measure_accept(bench, api)
    if "workers" in sections:
        measure_workers(bench)
    if "e2e" in sections or "purge" in sections:
        worker = bench.start_worker(2)
    if "e2e" in sections:
        measure_end_to_end(bench)
        bench.drain(timeout=600)
    if "purge" in sections:
        measure_listing_and_purge(bench)
    bench.figures.service["peak_rss_mib"] = _peak_rss(api, worker)


def _peak_rss(api: Child, worker: Child | None) -> dict[str, float]:
    rss = {"api": peak_rss_mib(api.pid)}
    if worker is not None:
        rss["worker_main"] = peak_rss_mib(worker.pid)
        rss["worker_pool_max"] = max(children_peak_rss_mib(worker.pid), default=0.0)
    return rss


def _measure_accept(bench: Bench, api: Child) -> Child:
    """Accept and poll (one API process, then two), then drain what they accepted."""
    measure_accept_and_poll(bench)
    api = measure_accept_scaled_out(bench, api)
    if bench.options.profile:
        api = profile_accept(bench, api)
    worker = bench.start_worker(2)
    bench.say(f"draining the {bench.figures.service['accepted_backlog']} accepted creates")
    bench.drain(timeout=1800)
    bench.stop(worker)
    return api


def machine_facts() -> dict[str, Any]:
    return {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
    }
