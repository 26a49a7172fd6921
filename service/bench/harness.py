"""One benchmark run's harness: the service's environment, the processes it starts, its
connections to PostgreSQL and Redis, and the measured loads every measurement uses."""

from __future__ import annotations

import dataclasses
import os
import secrets
import time
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any

from redis import Redis
from sqlalchemy import Engine, text

from service.adapters.broker import heartbeat_key
from service.adapters.processes import Child
from service.bench import processes, seed
from service.bench.figures import BenchOptions, Figures
from service.bench.loadgen import LoadSpec
from service.bench.processes import start_python, wait_http
from service.bench.stats import LoadResult
from service.domain.lifecycle import OperationState
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


class Bench:
    def __init__(self, options: BenchOptions, work_dir: Path, say: Say) -> None:
        self.options = options
        self.work_dir = work_dir
        self.say = say
        self.figures = Figures(options=asdict(options))
        self.processes: list[Child] = []
        self.suffix = secrets.token_hex(3).upper()
        self._listed_seeded = False
        self.tenant_url = ""  # a tenant cluster's superuser, when the run has one
        self.tenant_is_scratch = False  # deleted with the run (embedded): nothing to clean there

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

    def creates(self, name_tag: str, **fields: Any) -> LoadSpec:
        """A load of creates; `name_tag` keeps its account names apart from other loads'."""
        return self.load(
            method="POST",
            paths=["/api/v2/accounts"],
            body=create_body(name_tag, self.suffix),
            headers=self.headers,
            expect=[202],
            **fields,
        )

    # -- the service ------------------------------------------------------------------------

    def prepare_service(self) -> None:
        self.say("migrating the benchmark database")
        upgrade_to_head(self.database_url)
        self.organization_id, token = seed.organization_token(self.engine, f"BENCH_{self.suffix}")
        self.headers = {"Authorization": f"Bearer {token}"}

    def seed_listed(self) -> None:
        """`options.accounts` active accounts in the benchmark's organization, once per run (the
        listing and GraphQL sections share them)."""
        if self._listed_seeded:
            return
        self.say(f"seeding {self.options.accounts} active accounts")
        seed.insert_accounts(
            self.engine,
            self.organization_id,
            prefix=f"LIST{self.suffix}_",
            locator_prefix="BL",
            count=self.options.accounts,
            dropped=False,
        )
        self._listed_seeded = True

    @property
    def json_headers(self) -> dict[str, str]:
        return {**self.headers, "Content-Type": "application/json"}

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

    def drain(self, timeout: float) -> None:
        """Wait until no operation is queued or running."""
        deadline = time.monotonic() + timeout
        while self.pending() > 0:
            if time.monotonic() > deadline:
                raise RuntimeError(f"{self.pending()} operations still pending after {timeout} s")
            time.sleep(0.2)

    def pending(self) -> int:
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

    def now(self) -> Any:
        with self.engine.connect() as connection:
            return connection.scalar(text("SELECT clock_timestamp()"))

    def finish_times(self, since: Any) -> list[float]:
        with self.engine.connect() as connection:
            rows = connection.scalars(
                text(
                    "SELECT extract(epoch FROM finished_at) FROM operations "
                    "WHERE created_at >= :since AND finished_at IS NOT NULL"
                ),
                {"since": since},
            ).all()
        return sorted(float(value) for value in rows)


def measured(spec: LoadSpec) -> LoadResult:
    return finished(processes.start_load(spec))


def measured_with_cpu(spec: LoadSpec, pid: int) -> dict[str, Any]:
    """`measured`, and the CPU the server process `pid` spent per answered request (its warm-up
    is a load of its own, so the CPU counted is the measured load's)."""
    if spec.warmup > 0:
        # Its own request numbers: creates' names must not meet the measured load's.
        body = None if spec.body is None else spec.body.replace("{n}", "W{n}")
        measured(dataclasses.replace(spec, duration=spec.warmup, warmup=0, body=body))
    before = processes.cpu_seconds(pid)
    result = measured(dataclasses.replace(spec, warmup=0))
    spent = processes.cpu_seconds(pid) - before
    per_request = spent / result.requests * 1e6 if result.requests else 0.0
    return {**asdict(result), "cpu_us_per_request": round(per_request, 1)}


def finished(load: Child) -> LoadResult:
    """The load's result; answers other than the expected ones make the figure worthless."""
    result = processes.finish_load(load)
    if result.unexpected or result.errors:
        raise RuntimeError(
            f"load got unexpected answers {result.unexpected} and {result.errors} broken "
            "connections (see the API's log in the benchmark folder)"
        )
    return result


def completion_rate(finish_times: list[float]) -> float:
    """Completions per second between the first and the last completion."""
    if len(finish_times) < 2 or finish_times[-1] <= finish_times[0]:  # noqa: PLR2004 - a span
        return 0.0
    return round((len(finish_times) - 1) / (finish_times[-1] - finish_times[0]), 1)
