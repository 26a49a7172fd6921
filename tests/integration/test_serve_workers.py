"""`provisioner serve --workers 2`: two API processes share the port and stop together."""

from __future__ import annotations

import contextlib
import http.client
import os
import signal
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from service.settings import Settings
from tests.conftest import service_env
from tests.faults.stack import free_port
from tests.processes import (
    STOP_TIMEOUT_SECONDS,
    ServiceProcess,
    spawn_service,
    wait_until_ready,
)

SPREAD_TIMEOUT_SECONDS = 10.0
TCP_ESTABLISHED = "01"  # the state column of /proc/net/tcp


@dataclass
class Api:
    service: ServiceProcess
    port: int

    @property
    def pid(self) -> int:
        return self.service.process.pid


@pytest.fixture
def api(settings: Settings, tmp_path: Path) -> Iterator[Api]:
    port = free_port()
    env = {**service_env(settings), "API_PORT": str(port)}
    service = ServiceProcess(spawn_service("serve", ["--workers", "2"], env, tmp_path), env)
    if not wait_until_ready(f"http://127.0.0.1:{port}", alive=service.child.alive):
        service.stop()
        pytest.fail(f"serve --workers 2 did not become ready; its log:\n{service.log()[-3000:]}")
    yield Api(service, port)
    service.stop()


def _children(pid: int) -> list[int]:
    return [int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


def _accepted_socket_inodes(port: int) -> set[str]:
    """Inodes of the server ends of established connections to `port`."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for row in Path(table).read_text().splitlines()[1:]:
            columns = row.split()
            local_port = int(columns[1].rpartition(":")[2], 16)
            if local_port == port and columns[3] == TCP_ESTABLISHED:
                inodes.add(columns[9])
    return inodes


def _holders(pids: list[int], inodes: set[str]) -> set[int]:
    """Which of `pids` hold one of these sockets open."""
    found = set()
    for pid in pids:
        fds = Path(f"/proc/{pid}/fd")
        for fd in os.listdir(fds):
            with contextlib.suppress(FileNotFoundError):  # closed since it was listed
                if os.readlink(fds / fd).removeprefix("socket:[").removesuffix("]") in inodes:
                    found.add(pid)
                    break
    return found


def _processes_answering(api: Api, children: list[int]) -> set[int]:
    """Open kept-alive connections until every child has served one (or time runs out)."""
    connections: list[http.client.HTTPConnection] = []
    answering: set[int] = set()
    deadline = time.monotonic() + SPREAD_TIMEOUT_SECONDS
    try:
        while answering != set(children) and time.monotonic() < deadline:
            connection = http.client.HTTPConnection("127.0.0.1", api.port, timeout=5)
            connection.request("GET", "/healthz")
            response = connection.getresponse()
            response.read()
            assert response.status == 200
            connections.append(connection)
            answering = _holders(children, _accepted_socket_inodes(api.port))
    finally:
        for connection in connections:
            connection.close()
    return answering


def _gone(pid: int) -> bool:
    return not Path(f"/proc/{pid}").exists()


def test_two_processes_serve_the_port_and_stop_on_sigterm(api: Api) -> None:
    children = _children(api.pid)
    assert len(children) == 2
    assert _processes_answering(api, children) == set(children)

    api.service.process.send_signal(signal.SIGTERM)

    assert api.service.process.wait(STOP_TIMEOUT_SECONDS) == 0, api.service.log()
    assert all(_gone(child) for child in children)


def test_a_dead_child_stops_the_other_and_fails_the_parent(api: Api) -> None:
    killed, other = _children(api.pid)

    os.kill(killed, signal.SIGKILL)

    assert api.service.process.wait(STOP_TIMEOUT_SECONDS) != 0
    assert _gone(other)
    assert f"API process {killed} exited with status -9" in api.service.log()
