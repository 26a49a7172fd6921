"""The harness's network: hosts that reach each other and nothing else, cables that really cut,
and nothing left behind, not even by a run that was killed."""

from __future__ import annotations

import errno
import os
import subprocess
import sys
from collections.abc import Iterator

import pytest

from tests.multihost.network import NETNS_DIR, NamespacesRefused, Network, remove_stale

LISTEN_PORT = 7000


def _names(prefix: str) -> list[str]:
    return sorted(path.name for path in NETNS_DIR.glob(f"{prefix}*"))


@pytest.fixture
def network() -> Iterator[Network]:
    made = Network({"one": 2, "two": 3})
    try:
        made.create()
    except NamespacesRefused as exc:
        pytest.skip(f"network namespaces unavailable: {exc}")
    try:
        yield made
    finally:
        made.remove()


def test_without_root_the_run_is_refused_with_the_reason(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    with pytest.raises(NamespacesRefused, match="need root"):
        Network({"one": 2}).create()


def test_hosts_reach_each_other_until_a_cable_is_pulled(network: Network) -> None:
    serve = [*network.run_in("two"), sys.executable, "-c", _SERVE.format(port=LISTEN_PORT)]
    with subprocess.Popen(serve, stdout=subprocess.PIPE) as listener:  # a server on `two`
        try:
            assert listener.stdout is not None
            assert listener.stdout.readline().strip() == b"listening"
            assert network.probe("one", "two", LISTEN_PORT) == 0
            assert network.probe("one", "two", LISTEN_PORT + 1) == errno.ECONNREFUSED
            network.cut("two")
            assert network.probe("one", "two", LISTEN_PORT) not in {0, errno.ECONNREFUSED}
            network.restore("two")
            assert network.probe("one", "two", LISTEN_PORT, seconds=5) == 0
        finally:
            listener.kill()
    # Loopback works on a host; our own namespace sees none of the hosts' addresses.
    assert network.probe("one", "one", LISTEN_PORT) == errno.ECONNREFUSED
    assert (
        network.address("two")
        not in subprocess.run(
            ["ip", "-brief", "address"], capture_output=True, text=True, check=True
        ).stdout
    )


def test_remove_leaves_no_namespace(network: Network) -> None:
    assert len(_names(network.prefix)) == 3  # the two hosts and the switch
    network.remove()
    assert _names(network.prefix) == []


def test_a_killed_runs_namespaces_and_processes_are_cleared_at_the_next_start() -> None:
    gone = subprocess.Popen(["true"])
    gone.wait()  # its pid now stands for a test process that died
    stale = Network({"one": 2}, prefix=f"pmh{gone.pid}-")
    try:
        stale.create()
    except NamespacesRefused as exc:
        pytest.skip(f"network namespaces unavailable: {exc}")
    left = subprocess.Popen([*stale.run_in("one"), "sleep", "60"])
    try:
        assert sorted(remove_stale()) == [stale.namespace("one"), stale.namespace("switch")]
        assert left.wait(timeout=5) == -9
        assert _names(stale.prefix) == []
    finally:
        left.kill()
        left.wait()
        stale.remove()


_SERVE = """
import socket
server = socket.create_server(("0.0.0.0", {port}))
print("listening", flush=True)
while True:
    server.accept()[0].close()
"""
