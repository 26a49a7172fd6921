"""Fault injection on real processes: crashes, outages and races lose and duplicate nothing."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from pathlib import Path

import aiohttp

from service.domain.lifecycle import OperationState
from tests.faults.stack import Report, Stack, free_port
from tests.processes import start_service

LONGEST_ANSWER_SECONDS = 10.0  # db_timeout_seconds (3 s) plus a generous margin


def pool_children(worker_pid: int) -> list[int]:
    """The prefork pool processes of a Celery worker."""
    children = Path(f"/proc/{worker_pid}/task/{worker_pid}/children").read_text().split()
    return [int(pid) for pid in children]


async def wait_running(stack: Stack, handles: list[str]) -> None:
    for _ in range(100):
        if any(o.state == OperationState.RUNNING for o in stack.operations(handles)):
            return
        await asyncio.sleep(0.05)
    raise AssertionError("no operation started running")


async def test_kill_9_of_the_pool_processes_mid_operation(stack: Stack, report: Report) -> None:
    async with aiohttp.ClientSession() as http:
        answers = [await stack.create(http, f"slow_kill_{i}") for i in range(2)]
    handles = [location for status, location in answers if status == 202 and location]
    report.submitted = len(handles)
    await wait_running(stack, handles)
    worker = stack.processes["worker"].process.pid
    victims = pool_children(worker)
    for pid in victims:
        os.kill(pid, signal.SIGKILL)
    report.notes.append(f"killed {len(victims)} pool processes mid-step")
    await stack.settle(handles)
    stack.tally(report, handles, "slow_kill_")
    attempts = [o.attempts for o in stack.operations(handles)]
    report.notes.append(f"attempts {sorted(attempts)}")
    assert (report.lost, report.duplicated) == (0, 0)
    assert report.completed == report.submitted == 2
    assert max(attempts) >= 2  # at least one was really interrupted and redelivered


async def test_redis_stopped_while_operations_are_submitted(stack: Stack, report: Report) -> None:
    stack.servers.stop_server("redis")
    try:
        async with aiohttp.ClientSession() as http:
            answers = [await stack.create(http, f"no_broker_{i}") for i in range(10)]
    finally:
        stack.servers.start("redis")
    report.submitted = len(answers)
    assert [status for status, _ in answers] == [202] * 10  # durable in PostgreSQL
    handles = [location for _, location in answers if location]
    await stack.settle(handles)
    stack.tally(report, handles, "no_broker_")
    assert (report.completed, report.lost, report.duplicated) == (10, 0, 0)


async def _load(
    stack: Stack, http: aiohttp.ClientSession, seconds: float
) -> list[tuple[int, float]]:
    """Creates and listings for `seconds`; (status, elapsed) of every answer."""
    results: list[tuple[int, float]] = []
    deadline = time.monotonic() + seconds
    index = 0
    while time.monotonic() < deadline:
        started = time.monotonic()
        try:
            async with http.get(f"{stack.base_url}/api/v2/accounts", headers=stack.headers) as r:
                await r.read()
                results.append((r.status, time.monotonic() - started))
            started = time.monotonic()
            status, _ = await stack.create(http, f"pg_down_{index}")
            results.append((status, time.monotonic() - started))
        except aiohttp.ClientError:
            results.append((0, time.monotonic() - started))
        index += 1
    return results


async def test_postgresql_stopped_under_load(stack: Stack, report: Report) -> None:
    async with aiohttp.ClientSession() as http:
        before = [await stack.create(http, f"before_pg_down_{i}") for i in range(3)]
        stack.servers.stop_server("postgresql")
        try:
            during = await _load(stack, http, seconds=4)
            async with http.get(f"{stack.base_url}/readyz") as ready:
                assert ready.status == 503
                assert "database" in (await ready.json())["message"]
            async with http.get(f"{stack.base_url}/api/v2/accounts", headers=stack.headers) as down:
                assert down.status == 503
                assert down.headers["Retry-After"] == "5"
                assert (await down.json())["code"] == "unavailable"
        finally:
            stack.servers.start("postgresql")
        for _ in range(100):
            async with http.get(f"{stack.base_url}/readyz") as ready:
                if ready.status == 200:
                    break
            await asyncio.sleep(0.1)
        after = [await stack.create(http, f"after_pg_down_{i}") for i in range(3)]
    statuses = {status for status, _ in during}
    slowest = max(elapsed for _, elapsed in during)
    report.notes.append(
        f"{len(during)} answers while down: {sorted(statuses)}, slowest {slowest:.1f}s"
    )
    assert statuses == {503}  # never a 500, never a dropped connection
    assert slowest < LONGEST_ANSWER_SECONDS
    handles = [location for status, location in before + after if status == 202 and location]
    report.submitted = len(before) + len(after)
    await stack.settle(handles)
    stack.tally(report, handles, "before_pg_down_")
    after_report = stack.tally(Report("after"), handles, "after_pg_down_")
    assert report.duplicated == after_report.duplicated == 0
    assert (report.completed, report.lost) == (6, 0)


async def test_two_hundred_concurrent_creates_of_one_name(stack: Stack, report: Report) -> None:
    connector = aiohttp.TCPConnector(limit=200)
    async with aiohttp.ClientSession(connector=connector) as http:
        answers = await asyncio.gather(*(stack.create(http, "one_name_race") for _ in range(200)))
    statuses = [status for status, _ in answers]
    report.notes.append(f"{statuses.count(202)}x202 {statuses.count(409)}x409")
    assert statuses.count(202) == 1
    assert statuses.count(409) == 199
    handles = [location for status, location in answers if status == 202 and location]
    report.submitted = 1
    await stack.settle(handles)
    stack.tally(report, handles, "one_name_race")
    assert (report.completed, report.lost, report.duplicated) == (1, 0, 0)


async def test_one_idempotency_key_sent_fifty_times_at_once(stack: Stack, report: Report) -> None:
    async with aiohttp.ClientSession() as http:
        answers = await asyncio.gather(
            *(stack.create(http, "keyed_race", **{"Idempotency-Key": "fifty"}) for _ in range(50))
        )
    locations = {location for status, location in answers if location is not None}
    report.notes.append(f"{len(answers)} answers, {len(locations)} distinct handle(s)")
    assert [status for status, _ in answers] == [202] * 50
    assert len(locations) == 1
    report.submitted = 1
    await stack.settle(list(locations))
    stack.tally(report, list(locations), "keyed_race")
    assert (report.completed, report.lost, report.duplicated) == (1, 0, 0)


async def test_sigterm_lets_the_worker_finish_its_operation(
    stack: Stack, report: Report, tmp_path: Path
) -> None:
    async with aiohttp.ClientSession() as http:
        status, location = await stack.create(http, "slow_shutdown")
    assert status == 202
    assert location is not None
    report.submitted = 1
    await wait_running(stack, [location])
    worker = stack.processes["worker"]
    worker.process.send_signal(signal.SIGTERM)
    exit_code = worker.process.wait(30)
    (operation,) = stack.operations([location])
    report.notes.append(f"worker exited {exit_code} with the operation {operation.state}")
    stack.processes["worker"] = start_service("worker", worker.env, tmp_path, " ready.")
    stack.tally(report, [location], "slow_shutdown")
    assert exit_code == 0
    assert operation.state == OperationState.SUCCEEDED  # finished before exiting, not abandoned
    assert operation.attempts == 1
    assert (report.completed, report.lost, report.duplicated) == (1, 0, 0)


async def test_two_beats_for_several_purge_intervals(
    stack: Stack, report: Report, tmp_path: Path
) -> None:
    first_beat = stack.processes["beat"]
    env = {**first_beat.env, "DATA_DIR": str(tmp_path / "second")}
    second_beat = start_service("beat", env, tmp_path, "beat: Starting")
    try:
        async with aiohttp.ClientSession() as http:
            created = [await stack.create(http, f"two_beats_{i}") for i in range(10)]
            await stack.settle([loc for _, loc in created if loc])
            dropped = []
            for i in range(10):
                url = f"{stack.base_url}/api/v2/accounts/two_beats_{i}?gracePeriodInDays=3"
                async with http.delete(url, headers=stack.headers) as response:
                    dropped.append(response.headers["Location"])
            await stack.settle(dropped)
        report.submitted = stack.make_due("two_beats_")
        await asyncio.sleep(5)  # both beats scan every second
        purges = stack.purges_per_account("two_beats_")
    finally:
        second_beat.stop()
    report.completed = sum(1 for count in purges.values() if count >= 1)
    report.lost = report.submitted - report.completed
    report.duplicated = sum(count - 1 for count in purges.values())
    report.notes.append(
        f"scans sent: {second_beat.log().count('Sending due task scan-due-purges')} by the "
        "second beat"
    )
    assert (report.submitted, report.completed, report.lost, report.duplicated) == (10, 10, 0, 0)


async def test_sigterm_stops_the_api_after_answering_what_it_accepted(
    stack: Stack, report: Report, tmp_path: Path
) -> None:
    port = free_port()
    env = {**stack.processes["serve"].env, "API_PORT": str(port)}
    api = start_service("serve", env, tmp_path, "Running on")
    base = f"http://127.0.0.1:{port}"
    body = {
        "admin_name": "admin",
        "email": "a@example.com",
        "edition": "STANDARD",
        "admin_password": "Fault-Suite-Pw-1",
    }

    async def create(http: aiohttp.ClientSession, index: int) -> tuple[int, str | None]:
        try:
            async with http.post(
                f"{base}/api/v2/accounts",
                json={**body, "name": f"api_stop_{index}"},
                headers=stack.headers,
            ) as response:
                await response.read()
                return response.status, response.headers.get("Location")
        except aiohttp.ClientError:
            return 0, None  # refused: the API had stopped accepting

    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as http:
        in_flight = [asyncio.create_task(create(http, index)) for index in range(60)]
        # SIGTERM once the API has answered one of them: the rest are in flight.
        await asyncio.wait(in_flight, return_when=asyncio.FIRST_COMPLETED)
        api.process.send_signal(signal.SIGTERM)
        answers = await asyncio.gather(*in_flight)
    exit_code = api.process.wait(30)
    statuses = [status for status, _ in answers]
    handles = [location for status, location in answers if status == 202 and location]
    report.submitted = len(handles)
    report.notes.append(f"{len(handles)} accepted, {statuses.count(0)} refused, exit {exit_code}")
    await stack.settle(handles)
    stack.tally(report, handles, "api_stop_")
    assert exit_code == 0
    assert set(statuses) <= {202, 0}  # answered in full, or refused; never a 5xx
    assert handles
    assert (report.lost, report.duplicated) == (0, 0)


async def test_kill_9_of_the_whole_worker_mid_operation(
    stack: Stack, report: Report, tmp_path: Path
) -> None:
    async with aiohttp.ClientSession() as http:
        answers = [await stack.create(http, f"slow_dead_{i}") for i in range(2)]
    handles = [location for status, location in answers if status == 202 and location]
    report.submitted = len(handles)
    await wait_running(stack, handles)
    worker = stack.processes["worker"]
    victims = [worker.process.pid, *pool_children(worker.process.pid)]
    for pid in victims:
        os.kill(pid, signal.SIGKILL)
    worker.process.wait()
    # Its messages stay unacked in Redis until the visibility timeout (an hour): only the
    # lease sweep brings these operations back, once their rows are unlocked.
    stack.processes["worker"] = start_service("worker", worker.env, tmp_path, " ready.")
    report.notes.append(f"killed the worker and its {len(victims) - 1} pool processes")
    await stack.settle(handles)
    stack.tally(report, handles, "slow_dead_")
    attempts = sorted(o.attempts for o in stack.operations(handles))
    report.notes.append(f"attempts {attempts}")
    assert (report.completed, report.lost, report.duplicated) == (2, 0, 0)
    assert max(attempts) >= 2
