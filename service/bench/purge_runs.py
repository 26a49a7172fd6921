"""Many accounts: listing with `like`, reads while idle, and one purge scan under reads."""

from __future__ import annotations

import signal
import time
from dataclasses import asdict

from sqlalchemy import text

from service.adapters.broker import SCAN_DUE_PURGES, create_celery
from service.bench import processes, seed
from service.bench.harness import Bench, finished, measured
from service.bench.loadgen import LoadSpec
from service.domain.lifecycle import AccountState

READ_RATE_PER_SECOND = 200.0  # the polling clients' load while purges run
PROGRESS_EVERY_SECONDS = 10.0


def measure_listing_and_purge(bench: Bench) -> None:
    purge_org = _seed(bench)
    reads = _measure_listing_and_reads(bench)
    _measure_purge(bench, purge_org, reads)


def _seed(bench: Bench) -> int:
    """Active accounts in the benchmark's organization, and dropped ones past their grace
    period in an organization of their own (returned)."""
    bench.seed_listed()
    bench.say(f"seeding {bench.options.purge_accounts} due-for-purge accounts")
    purge_org, _ = seed.organization_token(bench.engine, f"PURGE_{bench.suffix}")
    seed.insert_accounts(
        bench.engine,
        purge_org,
        prefix="GONE_",
        locator_prefix="BP",
        count=bench.options.purge_accounts,
        dropped=True,
    )
    return purge_org


def _measure_listing_and_reads(bench: Bench) -> LoadSpec:
    """The `like` listing and the idle reads; the reads' load, to run again during the purge."""
    bench.say("listing: like filter over the organization's accounts")
    # Selective patterns, as a user searching for one account types them: a 5-digit run
    # from the middle of a name (`%25` is `%` in a URL), matching ~1 in 10 000 names.
    patterns = [f"%25{(n * 7919) % 100_000:05d}%25" for n in range(1, 100)]
    listing = measured(
        bench.load(
            paths=[f"/api/v2/accounts?like={p}" for p in patterns],
            headers=bench.headers,
            connections=4,
        )
    )
    bench.figures.service["listing_like"] = asdict(listing)
    reads = bench.load(
        paths=[
            f"/api/v2/accounts/LIST{bench.suffix}_{n:07d}"
            for n in range(1, min(bench.options.accounts, 500))
        ],
        headers=bench.headers,
        connections=8,
        rate=READ_RATE_PER_SECOND,
    )
    bench.say(f"reads while idle ({READ_RATE_PER_SECOND:.0f}/s)")
    bench.figures.service["reads_idle"] = asdict(measured(reads))
    return reads


def _measure_purge(bench: Bench, purge_org: int, reads: LoadSpec) -> None:
    to_purge = bench.options.purge_accounts
    bench.say(f"purge: {to_purge} accounts past their grace period")
    background = processes.start_load(LoadSpec(**{**asdict(reads), "duration": 3600, "warmup": 0}))
    started = time.monotonic()
    create_celery(
        bench.settings.model_copy(update={"queue_name": bench.env["QUEUE_NAME"]})
    ).send_task(SCAN_DUE_PURGES)
    try:
        seconds, left = _wait_purged(bench, purge_org, started, bench.options.purge_timeout)
    finally:
        background.send_signal(signal.SIGTERM)
        during = finished(background)
    bench.figures.service["purge"] = {
        "accounts": to_purge,
        "purged": to_purge - left,
        "seconds": round(seconds, 1),
        "finished": left == 0,
    }
    bench.figures.service["reads_during_purge"] = asdict(during)


def _wait_purged(
    bench: Bench, organization_id: int, started: float, timeout: float
) -> tuple[float, int]:
    """Seconds until every account is purged, or until the timeout; and how many are left."""
    query = text("SELECT count(*) FROM accounts WHERE organization_id = :org AND state <> :purged")
    last_report, purged = started, AccountState.PURGED.value
    while True:
        with bench.engine.connect() as connection:
            left = int(connection.scalar(query, {"org": organization_id, "purged": purged}) or 0)
        now = time.monotonic()
        if left == 0 or now - started > timeout:
            return now - started, left
        if now - last_report >= PROGRESS_EVERY_SECONDS:
            bench.say(f"  purge: {left} left after {now - started:.0f} s")
            last_report = now
        time.sleep(0.2)
