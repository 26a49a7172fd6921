"""The system as separate hosts: creates from a client host while a worker host and the tenant
cluster's host lose their network, then proof that nothing was lost or done twice."""

from __future__ import annotations

import asyncio
import errno
import time
from collections.abc import Callable
from dataclasses import dataclass

import aiohttp
import psycopg
import pytest

from service.domain.lifecycle import OperationState
from tests.multihost import evidence
from tests.multihost.deployment import SLOW_PREFIX, WORKER_HOSTS, Deployment
from tests.multihost.evidence import Figures
from tests.multihost.servers import POSTGRES_PORT

WAVE = 10  # creates per wave; four waves
SLOW_PER_WAVE = 3  # more than a worker takes at once: worker1 gets one of them
WAIT_SECONDS = 15.0  # longest wait for an operation to be in flight
SETTLE_SECONDS = 60.0
UNUSED_PORT = 9  # a worker host listens nowhere: its kernel refuses, which shows it is there
PASSWORD = "Multi-Host-Run-Pw-1"  # a throwaway account's, on a throwaway cluster

# A run takes 40 to 55 s here (bring-up of three servers, two workers, beat and the API; outages
# of 5 s and 10 s and the backoff after them; teardown). Its own bounded waits (30 s per
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


WORKER_OUTAGE = Outage("worker1", UNUSED_PORT, 5.0)
TENANT_OUTAGE = Outage("tenant1", POSTGRES_PORT, 10.0)


async def _send_during(
    outage: Outage, http: aiohttp.ClientSession, run: Deployment, handles: list[str], wave: int
) -> float:
    """`wave` is sent while the host's cable is out of the switch; when it went back in."""
    assert _connected(run, outage.host, outage.port)
    run.network.cut(outage.host)
    try:
        assert not _connected(run, outage.host, outage.port)
        handles += await _wave(http, run, wave)
        await asyncio.sleep(outage.seconds)
    finally:
        run.network.restore(outage.host)
    return time.monotonic()


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
) -> float:
    """Wave 2 runs; once its slow creates are in flight tenant1's cable is pulled for 10 s and
    wave 3 is sent meanwhile. When the cable went back in (monotonic time)."""
    wave = await _wave(http, run, 2)
    handles += wave

    def slow_running() -> bool:
        rows = evidence.operations(run.engine, wave)
        return any(
            op.state == OperationState.RUNNING and account.name.startswith(SLOW_PREFIX)
            for op, account in rows
        )

    await _until("a create of wave 2 is in flight", slow_running)
    in_flight = evidence.pending(run.engine, handles)
    restored = await _send_during(TENANT_OUTAGE, http, run, handles, 3)
    figures.notes.append(
        f"tenant1 cut for {TENANT_OUTAGE.seconds:g} s with {in_flight} op(s) unfinished"
    )
    return restored


async def _login_all(http: aiohttp.ClientSession, run: Deployment, handles: list[str]) -> int:
    """Log into every account with the credentials its result handed back."""
    for handle in handles:
        async with http.get(f"{run.base_url}{handle}", headers=run.headers) as response:
            assert response.status == 200, handle
            credentials = (await response.json())["credentials"]
        # One tenant cluster today; with regions, the cluster of the account's region.
        assert credentials["host"] in {run.network.address(host) for host in run.tenant_urls}
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


async def test_creates_survive_a_worker_host_and_the_tenant_cluster_losing_their_network(
    deployment: Deployment, figures: Figures
) -> None:
    run, handles = deployment, list[str]()
    started = time.monotonic()
    with run.network.inside("client"):
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as http:
            await _cut_worker_mid_operation(http, run, handles, figures)
            restored = await _cut_tenant_cluster(http, run, handles, figures)
            figures.accepted = len(handles)
            await _until(
                "every operation is done",
                lambda: evidence.pending(run.engine, handles) == 0,
                SETTLE_SECONDS,
            )
            figures.settle_seconds = time.monotonic() - restored
            rows = evidence.operations(run.engine, handles)
            inventory = evidence.tenant_inventory(list(run.tenant_urls.values()))
            logs = [run.log(host) for host in WORKER_HOSTS]
            evidence.tally(figures, rows, inventory, evidence.successes(logs))
            figures.logins = await _login_all(http, run, handles)
    figures.total_seconds = time.monotonic() - started
    assert figures.accepted == 4 * WAVE
    assert (figures.lost, figures.duplicated) == (0, 0), figures.line()
    assert figures.succeeded == figures.accepted, figures.line()
    assert figures.logins == figures.accepted
    # Each success recorded exactly once, by one of the two workers.
    assert sorted(evidence.successes(logs).values()) == [1] * figures.accepted
