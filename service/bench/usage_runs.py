"""The usage scan over many accounts of one cluster, and what the PostgreSQL driver's size query
costs on a real cluster with many databases."""

from __future__ import annotations

import time
from statistics import median

import psycopg
from psycopg import sql
from sqlalchemy.orm import sessionmaker

from service.bench import seed
from service.bench.harness import Bench
from service.domain.schemas import Edition
from service.domain.tenants import PREFIX
from service.domain.usage import StorageLimitAction
from workers.drivers.base import DatabaseUsage
from workers.drivers.postgres import PostgresDriver
from workers.drivers.simulated import SimulatedDriver
from workers.usage import UsagePolicy, scan_usage

CLUSTER = "bench-usage"
LOCATORS = "BU"  # the scanned accounts' locators: BU0000001, ...; databases acct_bu0000001, ...
EMPTY_DATABASE_BYTES = 7_700_000  # what a new PostgreSQL database takes on disk
NEAR_EVERY = 100  # one account in this many is near its storage limit
QUERY_REPEATS = 3


class SeededCluster(SimulatedDriver):
    """The simulated driver, answering the usage query with the seeded accounts' databases (as
    the PostgreSQL driver's one query would): the scan's own side is what is measured."""

    def __init__(self, usage: list[DatabaseUsage]) -> None:
        super().__init__(url_domain="bench.invalid")
        self._usage = usage

    def measure_usage(self) -> list[DatabaseUsage]:
        return list(self._usage)


def measure_usage(bench: Bench) -> None:
    count = bench.options.usage_accounts
    bench.say(f"usage: seeding {count} accounts on one cluster")
    seed.register_clusters(
        bench.engine, [CLUSTER], region=bench.settings.default_region, capacity=2 * count
    )
    organization_id, _ = seed.organization_token(bench.engine, f"USAGE_{bench.suffix}")
    seed.insert_accounts(
        bench.engine,
        organization_id,
        prefix="USED_",
        locator_prefix=LOCATORS,
        count=count,
        dropped=False,
        database_prefix=PREFIX,
        cluster=CLUSTER,
    )
    limit = bench.settings.plans()[Edition.STANDARD].storage_bytes  # the seeded edition
    driver = SeededCluster(
        [
            DatabaseUsage(
                f"{PREFIX}{LOCATORS.lower()}{n:07d}",
                int(limit * 0.95) if n % NEAR_EVERY == 0 else EMPTY_DATABASE_BYTES + n % 1000,
                n % 3,
            )
            for n in range(1, count + 1)
        ]
    )
    policy = UsagePolicy(bench.settings.plans(), StorageLimitAction.FLAG)
    sessions = sessionmaker(bench.engine)
    scans: list[float] = []
    near = 0
    for label in ("first", "next"):  # the first writes every row, the next ones update them
        bench.say(f"usage: the {label} scan of {count} accounts")
        started = time.perf_counter()
        totals = scan_usage(sessions, driver, policy, lambda _: None, cluster=CLUSTER)
        scans.append(round(time.perf_counter() - started, 2))
        if totals is None or totals.accounts != count:
            raise RuntimeError(f"the usage scan measured {totals}, not {count} accounts")
        near = totals.near_storage
    bench.figures.service["usage_scan"] = {
        "accounts": count,
        "first_seconds": scans[0],
        "seconds": scans[1],
        "near_storage": near,
    }
    bench.figures.service["usage_query"] = measure_size_query(bench, count)


def measure_size_query(bench: Bench, extrapolate_to: int) -> dict[str, float]:
    """The PostgreSQL driver's usage query on a real tenant cluster (embedded, or the configured
    TENANT_DATABASE_URL / DATABASE_URL's server), with half and then all of `usage_databases`
    real (empty) databases; the per-database cost, extrapolated."""
    total = bench.options.usage_databases
    url = bench.tenant_url
    driver = PostgresDriver(url, plans=bench.settings.plans())
    # Named apart from other runs' on a shared server; only these are counted.
    mine = f"{PREFIX}bq{bench.suffix.lower()}_"
    names = [f"{mine}{n:05d}" for n in range(1, total + 1)]
    half = total // 2
    bench.say(f"usage: the PostgreSQL driver's size query over {total} real databases")
    try:
        _create_databases(url, names[:half])
        at_half = _time_query(driver, mine, half)
        _create_databases(url, names[half:])
        at_all = _time_query(driver, mine, total)
    finally:
        # Each DROP DATABASE waits for a checkpoint (~0.3 s here): only on a server that stays.
        if not bench.tenant_is_scratch:
            _drop_databases(url, names)
    per_database = (at_all - at_half) / (total - half) if total > half else at_all / total
    return {
        "databases_half": half,
        "seconds_half": round(at_half, 4),
        "databases": total,
        "seconds": round(at_all, 4),
        "ms_per_database": round(per_database * 1000, 4),
        "extrapolated_to": extrapolate_to,
        "extrapolated_seconds": round(at_all + per_database * (extrapolate_to - total), 1),
    }


def _time_query(driver: PostgresDriver, mine: str, expected: int) -> float:
    times = []
    for _ in range(QUERY_REPEATS):
        started = time.perf_counter()
        found = sum(1 for usage in driver.measure_usage() if usage.database.startswith(mine))
        times.append(time.perf_counter() - started)
        if found != expected:
            raise RuntimeError(f"the size query found {found} databases, not {expected}")
    return median(times)


def _create_databases(url: str, names: list[str]) -> None:
    with psycopg.connect(url, autocommit=True) as connection:
        for name in names:
            connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def _drop_databases(url: str, names: list[str]) -> None:
    with psycopg.connect(url, autocommit=True) as connection:
        for name in names:
            connection.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
