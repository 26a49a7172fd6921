"""`provisioner flower`: Flower answers on loopback and follows our workers' task events."""

from __future__ import annotations

import asyncio
import itertools
import json
import socket
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from service.settings import Settings
from tests.conftest import Tenant, service_env
from tests.integration.api import Client, create
from tests.processes import ServiceProcess, start_service

EVENTS_TIMEOUT_SECONDS = 15.0


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _get(url: str) -> tuple[int, bytes]:
    with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - loopback URL
        return int(response.status), response.read()


@pytest.fixture
def flower(settings: Settings, worker: ServiceProcess, tmp_path: Path) -> Iterator[str]:
    """A running `provisioner flower`; its base URL."""
    port = _free_port()
    env = service_env(settings.model_copy(update={"flower_port": port}))
    env["FLOWER_UNAUTHENTICATED_API"] = "true"  # Flower 2 serves its JSON API only with this
    process = start_service("flower", env, tmp_path, "Visit me at")
    yield f"http://127.0.0.1:{port}"
    process.stop()


def _listening_addresses(port: int) -> set[str]:
    """Local addresses (hex, as /proc/net shows them) with a socket listening on `port`."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for row in Path(table).read_text().splitlines()[1:]:
            local, state = row.split()[1], row.split()[3]
            address, _, hex_port = local.partition(":")
            if state == "0A" and int(hex_port, 16) == port:  # 0A: LISTEN
                found.add(address)
    return found


def test_flower_answers_on_loopback_only(flower: str) -> None:
    assert _get(f"{flower}/healthcheck") == (200, b"OK")
    status, _ = _get(f"{flower}/workers")
    assert status == 200
    assert _listening_addresses(int(flower.rsplit(":", 1)[1])) == {"0100007F"}  # 127.0.0.1


async def test_flower_sees_the_tasks_our_worker_runs(
    flower: str, client: Client, tenant: Tenant
) -> None:
    # Task events go out on a fanout exchange: those sent before Flower's receiver has bound
    # its queue are lost, and its start-up banner comes before that. So create one account per
    # round until Flower reports one of them.
    deadline = time.monotonic() + EVENTS_TIMEOUT_SECONDS
    for round_number in itertools.count():
        await create(client, tenant, f"flowered_{round_number}")
        _, raw = await asyncio.to_thread(
            _get, f"{flower}/api/tasks?taskname=provisioner.create_account"
        )
        states = {task["state"] for task in json.loads(raw).values()}
        if "SUCCESS" in states:
            break
        assert time.monotonic() < deadline, f"Flower saw no finished create: {states}"
        await asyncio.sleep(0.5)
