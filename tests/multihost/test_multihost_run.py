"""The system as separate hosts: creates in two regions from a client host while a worker host
and one region's tenant cluster lose their network, then proof that nothing was lost or done
twice, that every account is on its region's cluster, and that the other region carried on."""

from __future__ import annotations

import asyncio
import errno
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import aiohttp
import psycopg
import pytest

from service.domain.lifecycle import OperationState
from tests.multihost import evidence
from tests.multihost.deployment import SLOW_PREFIX, TENANT_HOSTS, WORKER_HOSTS, Deployment
from tests.multihost.evidence import Figures
from tests.multihost.servers import POSTGRES_PORT

WAVE = 10  # creates per wave, alternately in each region; four waves
SLOW_PER_WAVE = 3  # more than a worker takes at once: worker1 gets one of them
# Index i of a wave goes to REGIONS[i % 2]: the slow creates (0, 1, 2) are two in tenant2's
# region and one in tenant1's, so the cut finds one slow create in flight on tenant1 and the
# other slow ones do not hold worker slots through its outage.
REGIONS = [*reversed(TENANT_HOSTS.values())]
CLUSTER_OF_REGION = {region: host for host, region in TENANT_HOSTS.items()}
WAIT_SECONDS = 15.0  # longest wait for an operation to be in flight
SETTLE_SECONDS = 60.0
UNUSED_PORT = 9  # a worker host listens nowhere: its kernel refuses, which shows it is there
PASSWORD = "Multi-Host-Run-Pw-1"  # a throwaway account's, on a throwaway cluster

# A run takes under a minute here (bring-up of three servers, two workers, beat and the API; outages
# of 5 s and 10 s and what follows them; teardown). Its own bounded waits (30 s per
# readiness, 15 s per in-flight wait, 60 s to settle) add up beyond the default 120 s: each
# should fail with its own message before the blunt per-test timeout does.
pytestmark = pytest.mark.timeout(180)


def _names(wave: int) -> list[str]:
    return [
        f"{SLOW_PREFIX if index < SLOW_PER_WAVE and wave % 2 == 0 else 'MH_'}{wave}_{index}"
        for index in range(WAVE)
    ]


async def _create(http: aiohttp.ClientSession, run: Deployment, name: str) -> str:
    body = {
        "name": name,
        "region": REGIONS[int(name.rsplit("_", 1)[1]) % len(REGIONS)],
        "admin_name": "admin",
        "email": "mh@example.com",
        "edition": "STANDARD",
        "admin_password": PASSWORD,
    }
    async with http.post(
        f"{run.base_url}/api/v2/accounts", json=body, headers=run.headers
    ) as response:
        await response.read()
        assert response.status == 202, (name, response.status)
        return response.headers["Location"]


async def _wave(http: aiohttp.ClientSession, run: Deployment, wave: int) -> list[str]:
    return list(await asyncio.gather(*(_create(http, run, name) for name in _names(wave))))


async def _until(what: str, check: Callable[[], bool], seconds: float = WAIT_SECONDS) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"not within {seconds:g} s: {what}")


def _connected(run: Deployment, host: str, port: int) -> bool:
    """Whether `host` answers the client at all (accepts, or refuses: nobody listens there)."""
    return run.network.probe("client", host, port) in {0, errno.ECONNREFUSED}


@dataclass(frozen=True)
class Outage:
    host: str
    port: int  # where the client checks that the host is there, and then that it is gone
    seconds: float


@dataclass(frozen=True)
class Window:
    """When a cable was out (wall clock, as the control database's timestamps)."""

    cut: datetime
    restored: datetime


WORKER_OUTAGE = Outage("worker1", UNUSED_PORT, 5.0)
TENANT_OUTAGE = Outage("tenant1", POSTGRES_PORT, 10.0)
CUT_REGION = TENANT_HOSTS[TENANT_OUTAGE.host]


async def _send_during(
    outage: Outage, http: aiohttp.ClientSession, run: Deployment, handles: list[str], wave: int
) -> Window:
    """`wave` is sent while the host's cable is out of the switch."""
    assert _connected(run, outage.host, outage.port)
    run.network.cut(outage.host)
    cut = datetime.now(UTC)
    try:
        assert not _connected(run, outage.host, outage.port)
        handles += await _wave(http, run, wave)
        await asyncio.sleep(outage.seconds)
    finally:
        run.network.restore(outage.host)
    return Window(cut, datetime.now(UTC))


async def _cut_worker_mid_operation(
    http: aiohttp.ClientSession, run: Deployment, handles: list[str], figures: Figures
) -> None:
    """Wave 0 runs; as soon as worker1 is inside a slow create its cable is pulled; wave 1 is
    sent while it is out."""
    handles += await _wave(http, run, 0)

    def slow_on_worker1() -> dict[str, str]:
        running = evidence.running(run.log("worker1"))
        return {op: name for op, name in running.items() if name.startswith(SLOW_PREFIX)}

    await _until("worker1 runs a slow create", lambda: bool(slow_on_worker1()))
    cut_during = slow_on_worker1()
    await _send_during(WORKER_OUTAGE, http, run, handles, 1)
    during = ", ".join(sorted(cut_during.values()))
    figures.notes.append(f"worker1 cut for {WORKER_OUTAGE.seconds:g} s while it ran {during}")


async def _cut_tenant_cluster(
    http: aiohttp.ClientSession, run: Deployment, handles: list[str], figures: Figures
) -> Window:
    """Wave 2 runs; once one of its slow creates on tenant1 is in flight tenant1's cable is
    pulled for 10 s and wave 3 (both regions) is sent meanwhile."""
    wave = await _wave(http, run, 2)
    handles += wave

    def slow_running() -> bool:
        rows = evidence.operations(run.engine, wave)
        return any(
            op.state == OperationState.RUNNING
            and account.name.startswith(SLOW_PREFIX)
            and account.region == CUT_REGION
            for op, account in rows
        )

    await _until(f"a create of wave 2 in {CUT_REGION} is in flight", slow_running)
    in_flight = evidence.pending(run.engine, handles)
    window = await _send_during(TENANT_OUTAGE, http, run, handles, 3)
    figures.notes.append(
        f"tenant1 ({CUT_REGION}) cut for {TENANT_OUTAGE.seconds:g} s with {in_flight} op(s) "
        "unfinished"
    )
    return window


def _carried_on(rows: evidence.Rows, window: Window, figures: Figures) -> None:
    """Creates sent during the tenant outage: the other region's finished while the cable was
    out, the cut region's only once it was back."""
    during = [(op, account) for op, account in rows if window.cut <= op.created_at]
    others = [op for op, account in during if account.region != CUT_REGION]
    held = [op for op, account in during if account.region == CUT_REGION]
    assert others, "no create of the other region was sent during the outage"
    assert held, f"no create in {CUT_REGION} was sent during the outage"
    late = [op.id for op in others if op.finished_at is None or op.finished_at >= window.restored]
    assert not late, f"the other region waited for the cut cluster: {late}"
    early = [op.id for op in held if op.finished_at is None or op.finished_at < window.restored]
    assert not early, f"finished on a cluster whose cable was out: {early}"
    seconds = sorted(
        (op.finished_at - window.cut).total_seconds() for op in others if op.finished_at
    )
    figures.notes.append(
        f"{len(others)} creates in the other region sent during the outage finished "
        f"{seconds[0]:.1f}-{seconds[-1]:.1f} s after the cut, {len(held)} in {CUT_REGION} after "
        "it ended"
    )


async def _login_all(
    http: aiohttp.ClientSession, run: Deployment, handles: list[str], rows: evidence.Rows
) -> int:
    """Log into every account with the credentials its result handed back, at the host and
    port they name: its region's cluster."""
    region = {str(op.id): account.region or "" for op, account in rows}
    for handle in handles:
        async with http.get(f"{run.base_url}{handle}", headers=run.headers) as response:
            assert response.status == 200, handle
            credentials = (await response.json())["credentials"]
        home = CLUSTER_OF_REGION[region[handle.rsplit("/", 1)[1]]]
        assert (credentials["host"], credentials["port"]) == (
            run.network.address(home),
            POSTGRES_PORT,
        ), handle
        async with await psycopg.AsyncConnection.connect(
            host=credentials["host"],
            port=credentials["port"],
            user=credentials["user"],
            password=PASSWORD,
            dbname=credentials["database"],
            connect_timeout=5,
        ) as login:
            cursor = await login.execute("SELECT current_user, current_database()")
            assert await cursor.fetchone() == (credentials["user"], credentials["database"])
    return len(handles)


def _settled(run: Deployment, handles: list[str], figures: Figures) -> evidence.Rows:
    """The records once every operation is done, tallied into `figures`."""
    rows = evidence.operations(run.engine, handles)
    inventories = evidence.tenant_inventories(run.tenant_urls)
    logs = [run.log(host) for host in WORKER_HOSTS]
    evidence.tally(figures, rows, evidence.tenant_inventory(inventories), evidence.successes(logs))
    wrong = evidence.misplaced(rows, inventories, CLUSTER_OF_REGION)
    figures.misplaced = len(wrong)
    assert not wrong, wrong
    # Each success recorded exactly once, by one of the two workers.
    assert sorted(evidence.successes(logs).values()) == [1] * figures.accepted
    return rows


async def test_creates_in_two_regions_survive_a_worker_host_and_a_cluster_losing_their_network(
    deployment: Deployment, figures: Figures
) -> None:
    run, handles = deployment, list[str]()
    started = time.monotonic()
    with run.network.inside("client"):
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as http:
            await _cut_worker_mid_operation(http, run, handles, figures)
            window = await _cut_tenant_cluster(http, run, handles, figures)
            figures.accepted = len(handles)
            await _until(
                "every operation is done",
                lambda: evidence.pending(run.engine, handles) == 0,
                SETTLE_SECONDS,
            )
            figures.settle_seconds = (datetime.now(UTC) - window.restored).total_seconds()
            rows = _settled(run, handles, figures)
            _carried_on(rows, window, figures)
            figures.logins = await _login_all(http, run, handles, rows)
    figures.total_seconds = time.monotonic() - started
    assert figures.accepted == 4 * WAVE
    assert (figures.lost, figures.duplicated) == (0, 0), figures.line()
    assert figures.succeeded == figures.accepted, figures.line()
    assert figures.logins == figures.accepted
