"""`provisioner bench`: the service and its same-run baselines, measured on this machine.

Every figure comes from real processes: PostgreSQL and Redis (embedded in a scratch folder, or
the configured servers with a scratch database), `provisioner serve` and `provisioner worker`
with the `simulated` driver, and a load generator in a process of its own.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import platform
import pstats
import secrets
import shutil
import signal
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from http import HTTPStatus
from pathlib import Path
from typing import Any

import aiohttp
from redis import Redis
from sqlalchemy import Engine, text

from service.adapters.broker import SCAN_DUE_PURGES, create_celery, heartbeat_key
from service.adapters.embedded import embedded_servers
from service.adapters.processes import Child
from service.bench import celery_noop, processes, seed
from service.bench.loadgen import LoadSpec
from service.bench.processes import (
    children_peak_rss_mib,
    peak_rss_mib,
    start_python,
    wait_http,
)
from service.bench.stats import LoadResult, summarize
from service.domain.lifecycle import AccountState, OperationState
from service.domain.passwords import new_secret_key
from service.settings import Settings
from service.store.db import create_sync_engine
from service.store.migrations import upgrade_to_head

Say = Callable[[str], None]
CREATE_BODY = (
    '{"name": "BENCH_{n}_%s", "edition": "STANDARD", "admin_name": "ADMIN", '
    '"email": "admin@example.com"}'
)


def create_body(tag: str, suffix: str) -> str:
    """A create request's body; `{n}` is left for the load generator's request number."""
    return CREATE_BODY.replace("{n}", tag) % suffix


READ_RATE_PER_SECOND = 200.0  # the polling clients' load while purges run
PROGRESS_EVERY_SECONDS = 10.0


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


@dataclass
class Figures:
    """Everything measured; ratios are ours divided by the same-run baseline."""

    machine: dict[str, Any] = field(default_factory=dict)
    options: dict[str, Any] = field(default_factory=dict)
    baselines: dict[str, Any] = field(default_factory=dict)
    service: dict[str, Any] = field(default_factory=dict)
    ratios: dict[str, float] = field(default_factory=dict)
    targets: dict[str, dict[str, Any]] = field(default_factory=dict)


class Bench:
    def __init__(self, options: BenchOptions, work_dir: Path, say: Say) -> None:
        self.options = options
        self.work_dir = work_dir
        self.say = say
        self.figures = Figures(options=asdict(options))
        self.processes: list[Child] = []
        self.suffix = secrets.token_hex(3).upper()

    # -- plumbing ---------------------------------------------------------------------------

    def configure(self, database_url: str, redis_url: str) -> None:
        self.database_url, self.redis_url = database_url, redis_url
        self.env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_url,
            "API_HOST": "127.0.0.1",
            "API_PORT": str(self.options.port),
            "DATA_DIR": str(self.work_dir / "data"),
            "SECRET_KEY": new_secret_key(),
            "DRIVER": "simulated",
            "SIMULATED_LATENCY_SECONDS": str(self.options.simulated_latency),
            # The limiter still runs (its Redis round trip is part of every request); it never
            # refuses the benchmark's single token.
            "RATE_LIMIT_PER_SECOND": "1000000000",
            "RATE_LIMIT_BURST": "1000000000",
            "QUEUE_NAME": f"bench-{self.suffix.lower()}",
            # Purge scans are started by the benchmark, so their timing is known.
            "PURGE_INTERVAL_SECONDS": "86400",
        }
        self.settings = Settings(database_url=database_url, redis_url=redis_url)
        self.engine: Engine = create_sync_engine(database_url, pool_size=4)
        self.redis = Redis.from_url(redis_url)
        self.base = f"http://127.0.0.1:{self.options.port}"

    def close(self) -> None:
        for process in reversed(self.processes):
            process.stop()
        self.processes.clear()
        self.engine.dispose()
        self.redis.close()

    def start(self, name: str, argv: list[str], env: dict[str, str] | None = None) -> Child:
        process = start_python(name, argv, env or self.env, self.work_dir)
        self.processes.append(process)
        return process

    def stop(self, process: Child) -> None:
        process.stop()
        self.processes.remove(process)

    def load(self, **fields: Any) -> LoadSpec:
        defaults: dict[str, Any] = {
            "host": "127.0.0.1",
            "port": self.options.port,
            "connections": self.options.connections,
            "duration": self.options.duration,
            "warmup": self.options.warmup,
        }
        return LoadSpec(**{**defaults, **fields})

    # -- baselines --------------------------------------------------------------------------

    def measure_baselines(self) -> None:
        self.say("baseline: aiohttp hello-world")
        hello = self.start(
            "baseline-hello", ["-m", "service.bench.baselines", "hello", str(self.options.port)]
        )
        wait_http(hello, self.base + "/")
        self.figures.baselines["hello_world"] = asdict(measured(self.load()))
        self.stop(hello)

        self.say("baseline: aiohttp + one INSERT + one Redis LPUSH per request")
        plain_url = self.engine.url.set(drivername="postgresql").render_as_string(
            hide_password=False
        )
        insert = self.start(
            "baseline-insert-push",
            [
                "-m",
                "service.bench.baselines",
                "insert-push",
                str(self.options.port),
                plain_url,
                self.redis_url,
            ],
        )
        wait_http(insert, self.base + "/")
        self.figures.baselines["insert_push"] = asdict(
            measured(self.load(method="POST", body='{"n": {n}}', expect=[202]))
        )
        self.stop(insert)
        self.measure_bare_celery()

    def measure_bare_celery(self) -> None:
        self.say("baseline: bare Celery no-op round trip and throughput")
        worker = self.start_noop_worker()
        trips = celery_noop.round_trips(self.redis_url, self.options.round_trip_samples)
        self.stop(worker)
        trip = summarize(trips, sum(trips))
        count = self.options.worker_operations
        reply_to = celery_noop.enqueue_backlog(self.redis_url, count)
        worker = self.start_noop_worker()
        finished = celery_noop.backlog_finish_times(self.redis_url, reply_to, count, timeout=600)
        self.stop(worker)
        self.figures.baselines["celery_round_trip"] = {"p50_ms": trip.p50_ms, "p99_ms": trip.p99_ms}
        self.figures.baselines["celery_noop_per_second"] = _rate(finished)

    def start_noop_worker(self) -> Child:
        return self.start(
            "baseline-celery", ["-m", "service.bench.celery_noop", self.redis_url, "2"]
        )

    # -- the service ------------------------------------------------------------------------

    def prepare_service(self) -> None:
        self.say("migrating the benchmark database")
        upgrade_to_head(self.database_url)
        self.organization_id, token = seed.organization_token(self.engine, f"BENCH_{self.suffix}")
        self.headers = {"Authorization": f"Bearer {token}"}

    def start_api(self) -> Child:
        api = self.start("api", ["-m", "service.cli", "serve"])
        wait_http(api, self.base + "/healthz")
        return api

    def start_worker(self, concurrency: int) -> Child:
        env = {**self.env, "WORKER_CONCURRENCY": str(concurrency)}
        hostname = f"bench-{concurrency}-{secrets.token_hex(2)}"
        worker = self.start(
            f"worker-{concurrency}",
            [
                "-c",
                f"from workers.app import run_worker; from service.settings import Settings; "
                f"run_worker(Settings(), hostname={hostname!r})",
            ],
            env,
        )
        key = heartbeat_key(hostname, worker.pid)
        worker.wait_ready(check=lambda: bool(self.redis.exists(key)))
        return worker

    def measure_accept_and_poll(self) -> None:
        self.say(f"accept: POST /api/v2/accounts, {self.options.connections} connections")
        accept = self._accept_load("{n}")
        self.figures.service["accept"] = asdict(accept)
        with self.engine.connect() as connection:
            handles = connection.scalars(text("SELECT id FROM operations LIMIT 1000")).all()
        self.say("poll: GET /api/v2/results/{handle}")
        poll = measured(
            self.load(
                paths=[f"/api/v2/results/{handle}" for handle in handles],
                headers=self.headers,
                expect=[200, 202],
            )
        )
        self.figures.service["poll"] = asdict(poll)
        self.figures.service["accepted_backlog"] = accept.requests

    def _accept_load(self, name_tag: str) -> LoadResult:
        """Creates at full speed; `name_tag` keeps this load's account names apart."""
        return measured(
            self.load(
                method="POST",
                paths=["/api/v2/accounts"],
                body=create_body(name_tag, self.suffix),
                headers=self.headers,
                expect=[202],
            )
        )

    def measure_accept_scaled_out(self, api: Child, processes: int = 2) -> Child:
        """The accept load once more against `serve --workers N` (N processes on one port)."""
        self.say(f"accept: POST /api/v2/accounts, {processes} API processes")
        self.stop(api)
        scaled = self.start(
            f"api-{processes}", ["-m", "service.cli", "serve", f"--workers={processes}"]
        )
        wait_http(scaled, self.base + "/healthz")
        accept = self._accept_load("S{n}")
        self.figures.service["accept_scaled_out"] = {**asdict(accept), "processes": processes}
        self.figures.service["accepted_backlog"] += accept.requests
        self.stop(scaled)
        return self.start_api()

    def profile_accept(self, api: Child) -> Child:
        """The accept load once more with the API under cProfile; its busiest functions go in
        the figures. cProfile slows the API down: this run's speed is not reported."""
        self.say("profiling the accept path (cProfile; not a measured run)")
        self.stop(api)
        stats_path = self.work_dir / "api.pstats"
        profiled = self.start(
            "api-profiled",
            ["-m", "cProfile", "-o", str(stats_path), "-m", "service.cli", "serve"],
        )
        wait_http(profiled, self.base + "/healthz")
        measured(
            self.load(
                method="POST",
                paths=["/api/v2/accounts"],
                body=create_body("P{n}", self.suffix),
                headers=self.headers,
                expect=[202],
                duration=min(self.options.duration, 5.0),
            )
        )
        self.stop(profiled)  # SIGTERM: serve exits cleanly and cProfile writes its file
        self.figures.service["accept_profile"] = busiest_functions(stats_path)
        self.figures.service["accept_profile_by_component"] = busy_time_by_component(stats_path)
        return self.start_api()

    def drain(self, timeout: float) -> None:
        """Wait until no operation is queued or running."""
        deadline = time.monotonic() + timeout
        while self._pending() > 0:
            if time.monotonic() > deadline:
                raise RuntimeError(f"{self._pending()} operations still pending after {timeout} s")
            time.sleep(0.2)

    def _pending(self) -> int:
        with self.engine.connect() as connection:
            return int(
                connection.scalar(
                    text("SELECT count(*) FROM operations WHERE state IN (:queued, :running)"),
                    {
                        "queued": OperationState.QUEUED.value,
                        "running": OperationState.RUNNING.value,
                    },
                )
                or 0
            )

    def measure_workers(self) -> None:
        rates: dict[str, float] = {}
        for concurrency in self.options.worker_counts:
            count = self.options.worker_operations
            self.say(f"workers: {count} creates drained by {concurrency} worker process(es)")
            marker = self._now()
            asyncio.run(self._submit_creates(count, f"W{concurrency}"))
            worker = self.start_worker(concurrency)
            self.drain(timeout=600)
            rates[str(concurrency)] = _rate(self._finish_times(since=marker))
            self.stop(worker)
        self.figures.service["worker_operations_per_second"] = rates

    def _now(self) -> Any:
        with self.engine.connect() as connection:
            return connection.scalar(text("SELECT clock_timestamp()"))

    def _finish_times(self, since: Any) -> list[float]:
        with self.engine.connect() as connection:
            rows = connection.scalars(
                text(
                    "SELECT extract(epoch FROM finished_at) FROM operations "
                    "WHERE created_at >= :since AND finished_at IS NOT NULL"
                ),
                {"since": since},
            ).all()
        return sorted(float(value) for value in rows)

    async def _submit_creates(self, count: int, tag: str) -> None:
        names = iter(range(count))

        async def submitter(session: aiohttp.ClientSession) -> None:
            for n in names:
                body = create_body(f"{tag}_{n}", self.suffix)
                async with session.post(
                    self.base + "/api/v2/accounts", data=body, headers=self.json_headers
                ) as response:
                    if response.status != HTTPStatus.ACCEPTED:
                        raise RuntimeError(f"create answered {response.status}")

        async with aiohttp.ClientSession() as session:
            await asyncio.gather(*(submitter(session) for _ in range(16)))

    @property
    def json_headers(self) -> dict[str, str]:
        return {**self.headers, "Content-Type": "application/json"}

    def measure_end_to_end(self) -> None:
        samples = self.options.e2e_samples
        self.say(f"end-to-end: {samples} creates one at a time, submit to terminal state")
        self.figures.service["e2e_idle"] = asdict(asyncio.run(self._end_to_end(samples, "E")))
        rate = max(1.0, self.figures.service["worker_operations_per_second"].get("2", 2.0) / 2)
        self.say(f"end-to-end under a steady accept load of {rate:.0f}/s")
        background = processes.start_load(
            self.load(
                method="POST",
                paths=["/api/v2/accounts"],
                body=create_body("L{n}", self.suffix),
                headers=self.headers,
                expect=[202],
                connections=8,
                rate=rate,
                duration=3600,
                warmup=0,
            )
        )
        try:
            under_load = asyncio.run(self._end_to_end(samples, "U"))
        finally:
            background.send_signal(signal.SIGTERM)
            load = finished(background)
        self.figures.service["e2e_under_load"] = {**asdict(under_load), "accept_load": asdict(load)}

    async def _end_to_end(self, samples: int, tag: str) -> LoadResult:
        seconds: list[float] = []
        async with aiohttp.ClientSession(self.base) as session:
            started_all = time.perf_counter()
            for n in range(samples):
                body = create_body(f"{tag}_{n}", self.suffix)
                started = time.perf_counter()
                async with session.post(
                    "/api/v2/accounts", data=body, headers=self.json_headers
                ) as response:
                    location = response.headers["Location"]
                status: int = HTTPStatus.ACCEPTED
                while status == HTTPStatus.ACCEPTED:
                    async with session.get(
                        location, params={"wait": "30"}, headers=self.headers
                    ) as response:
                        status = response.status
                        await response.read()
                seconds.append(time.perf_counter() - started)
            return summarize(seconds, time.perf_counter() - started_all)

    def measure_listing_and_purge(self) -> None:
        count = self.options.accounts
        self.say(f"seeding {count} active and {self.options.purge_accounts} due-for-purge accounts")
        seed.insert_accounts(
            self.engine,
            self.organization_id,
            prefix=f"LIST{self.suffix}_",
            locator_prefix="BL",
            count=count,
            dropped=False,
        )
        to_purge = self.options.purge_accounts
        purge_org, _ = seed.organization_token(self.engine, f"PURGE_{self.suffix}")
        seed.insert_accounts(
            self.engine,
            purge_org,
            prefix="GONE_",
            locator_prefix="BP",
            count=to_purge,
            dropped=True,
        )
        self.say("listing: like filter over the organization's accounts")
        # Selective patterns, as a user searching for one account types them: a 5-digit run
        # from the middle of a name (`%25` is `%` in a URL), matching ~1 in 10 000 names.
        patterns = [f"%25{(n * 7919) % 100_000:05d}%25" for n in range(1, 100)]
        listing = measured(
            self.load(
                paths=[f"/api/v2/accounts?like={p}" for p in patterns],
                headers=self.headers,
                connections=4,
            )
        )
        self.figures.service["listing_like"] = asdict(listing)
        reads = self.load(
            paths=[
                f"/api/v2/accounts/LIST{self.suffix}_{n:07d}" for n in range(1, min(count, 500))
            ],
            headers=self.headers,
            connections=8,
            rate=READ_RATE_PER_SECOND,
        )
        self.say(f"reads while idle ({READ_RATE_PER_SECOND:.0f}/s)")
        self.figures.service["reads_idle"] = asdict(measured(reads))
        self.say(f"purge: {to_purge} accounts past their grace period")
        background = processes.start_load(
            LoadSpec(**{**asdict(reads), "duration": 3600, "warmup": 0})
        )
        started = time.monotonic()
        create_celery(
            self.settings.model_copy(update={"queue_name": self.env["QUEUE_NAME"]})
        ).send_task(SCAN_DUE_PURGES)
        try:
            seconds, left = self._wait_purged(purge_org, started, self.options.purge_timeout)
        finally:
            background.send_signal(signal.SIGTERM)
            during = finished(background)
        self.figures.service["purge"] = {
            "accounts": to_purge,
            "purged": to_purge - left,
            "seconds": round(seconds, 1),
            "finished": left == 0,
        }
        self.figures.service["reads_during_purge"] = asdict(during)

    def _wait_purged(
        self, organization_id: int, started: float, timeout: float
    ) -> tuple[float, int]:
        """Seconds until every account is purged, or until the timeout; and how many are left."""
        query = text(
            "SELECT count(*) FROM accounts WHERE organization_id = :org AND state <> :purged"
        )
        last_report, purged = started, AccountState.PURGED.value
        while True:
            with self.engine.connect() as connection:
                left = int(
                    connection.scalar(query, {"org": organization_id, "purged": purged}) or 0
                )
            now = time.monotonic()
            if left == 0 or now - started > timeout:
                return now - started, left
            if now - last_report >= PROGRESS_EVERY_SECONDS:
                self.say(f"  purge: {left} left after {now - started:.0f} s")
                last_report = now
            time.sleep(0.2)


def measured(spec: LoadSpec) -> LoadResult:
    return finished(processes.start_load(spec))


def finished(load: Child) -> LoadResult:
    """The load's result; answers other than the expected ones make the figure worthless."""
    result = processes.finish_load(load)
    if result.unexpected or result.errors:
        raise RuntimeError(
            f"load got unexpected answers {result.unexpected} and {result.errors} broken "
            "connections (see the API's log in the benchmark folder)"
        )
    return result


def _rate(finish_times: list[float]) -> float:
    """Completions per second between the first and the last completion."""
    if len(finish_times) < 2 or finish_times[-1] <= finish_times[0]:  # noqa: PLR2004 - a span
        return 0.0
    return round((len(finish_times) - 1) / (finish_times[-1] - finish_times[0]), 1)


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
        with embedded_servers(data_dir, progress=say) as servers:
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


def run_bench(options: BenchOptions, settings: Settings, say: Say) -> Figures:
    with scratch_dir() as work_dir, _servers(settings, work_dir, say) as (database, redis):
        bench = Bench(options, work_dir, say)
        bench.configure(database, redis)
        try:
            bench.figures.machine = machine_facts()
            bench.measure_baselines()
            bench.prepare_service()
            api = bench.start_api()
            bench.measure_accept_and_poll()
            api = bench.measure_accept_scaled_out(api)
            if options.profile:
                api = bench.profile_accept(api)
            worker = bench.start_worker(2)
            say(f"draining the {bench.figures.service['accepted_backlog']} accepted creates")
            bench.drain(timeout=1800)
            bench.stop(worker)
            bench.measure_workers()
            worker = bench.start_worker(2)
            bench.measure_end_to_end()
            bench.drain(timeout=600)
            bench.measure_listing_and_purge()
            bench.figures.service["peak_rss_mib"] = {
                "api": peak_rss_mib(api.pid),
                "worker_main": peak_rss_mib(worker.pid),
                "worker_pool_max": max(children_peak_rss_mib(worker.pid), default=0.0),
            }
        finally:
            bench.close()
        return bench.figures


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


def machine_facts() -> dict[str, Any]:
    return {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
    }
