"""Many accounts: listing with `like`, reads while idle, one purge scan timed on an otherwise
idle system, and a second, smaller one under reads (purges yield to foreground work, so their
pace under reads is a different figure from their pace alone)."""

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
# The purge under reads is this share of the idle one, and the reads last at most this many
# load durations: long enough for a read tail, short enough that a purge slowed down to its floor
# rate does not hold the run for minutes (what is left is then purged after the run's figures).
UNDER_READS_SHARE = 0.2
UNDER_READS_DURATIONS = 3


def measure_listing_and_purge(bench: Bench) -> None:
    bench.seed_listed()
    reads = _measure_listing_and_reads(bench)
    alone = _seed_due(bench, "PURGE", bench.options.purge_accounts)
    bench.figures.service["purge"] = _measure_purge(
        bench, alone, reads=None, timeout=bench.options.purge_timeout
    )
    under_reads = _seed_due(
        bench, "PURGE_READ", max(1, int(bench.options.purge_accounts * UNDER_READS_SHARE))
    )
    bench.figures.service["purge_under_reads"] = _measure_purge(
        bench, under_reads, reads, timeout=max(10.0, bench.options.duration * UNDER_READS_DURATIONS)
    )


def _seed_due(bench: Bench, tag: str, count: int) -> tuple[int, int]:
    """`count` dropped accounts past their grace period in an organization of their own:
    (its id, count)."""
    bench.say(f"seeding {count} due-for-purge accounts")
    organization_id, _ = seed.organization_token(bench.engine, f"{tag}_{bench.suffix}")
    seed.insert_accounts(
        bench.engine,
        organization_id,
        prefix=f"{tag}_",
        locator_prefix=f"B{tag[-1]}",
        count=count,
        dropped=True,
    )
    return organization_id, count


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


def _measure_purge(
    bench: Bench, due: tuple[int, int], reads: LoadSpec | None, timeout: float
) -> dict[str, float | int | bool]:
    """One purge scan of an organization's `due` accounts, timed until done or `timeout`; with
    `reads`, that load runs meanwhile and its figures go in `reads_during_purge`."""
    organization_id, count = due
    bench.say(f"purge: {count} accounts past their grace period{' under reads' if reads else ''}")
    background = (
        processes.start_load(LoadSpec(**{**asdict(reads), "duration": 3600, "warmup": 0}))
        if reads
        else None
    )
    started = time.monotonic()
    create_celery(
        bench.settings.model_copy(update={"queue_name": bench.env["QUEUE_NAME"]})
    ).send_task(SCAN_DUE_PURGES)
    try:
        seconds, left = _wait_purged(bench, organization_id, started, timeout)
    finally:
        if background is not None:
            background.send_signal(signal.SIGTERM)
            bench.figures.service["reads_during_purge"] = asdict(finished(background))
    return {
        "accounts": count,
        "purged": count - left,
        "seconds": round(seconds, 1),
        "finished": left == 0,
    }


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
