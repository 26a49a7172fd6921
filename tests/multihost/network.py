"""Network namespaces as hosts: one switch (a bridge in a namespace of its own), one veth cable
per host, addresses in a private /24, no route anywhere else; cables cut and restored on demand.

Everything this module makes carries the prefix `pmh<pid>-`, and is removed by `remove()`; a
stale set left by a test process that died (its pid no longer running) is removed at start.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import shutil
import signal
import socket
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

NETNS_DIR = Path("/run/netns")
PREFIX = "pmh"
SUBNET = "10.213.77"  # a private /24 that exists only inside the namespaces made here
SWITCH = "switch"
BRIDGE = "br0"
CABLE = "eth0"  # each host's end of its cable
COMMAND_TIMEOUT_SECONDS = 10.0
_CLONE_NEWNET = 0x40000000


class NamespacesRefused(RuntimeError):
    """This machine cannot make network namespaces (not root, no `ip`, or the kernel says no)."""


def _ip(*args: str) -> None:
    try:
        subprocess.run(
            ["ip", *args], check=True, capture_output=True, timeout=COMMAND_TIMEOUT_SECONDS
        )
    except subprocess.CalledProcessError as exc:
        stderr = exc.stderr.decode(errors="replace").strip()
        raise RuntimeError(f"ip {' '.join(args)}: {stderr}") from exc


def _pid_running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_stale() -> list[str]:
    """Remove the namespaces of earlier runs whose test process is gone; their names.

    What still runs in one was started by that run: a child whose host was cut off when the
    test was killed can hang in its graceful stop forever, so it is killed outright."""
    removed = []
    names = [path.name for path in NETNS_DIR.iterdir()] if NETNS_DIR.is_dir() else []
    for name in names:
        owner = name.removeprefix(PREFIX).split("-", 1)[0]
        if name.startswith(PREFIX) and owner.isdigit() and not _pid_running(int(owner)):
            pids = subprocess.run(
                ["ip", "netns", "pids", name], check=False, capture_output=True, text=True
            ).stdout.split()
            for pid in pids:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(int(pid), signal.SIGKILL)
            subprocess.run(["ip", "netns", "delete", name], check=False, capture_output=True)
            removed.append(name)
    return removed


def _setns(path: str) -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    descriptor = os.open(path, os.O_RDONLY)
    try:
        if libc.setns(descriptor, _CLONE_NEWNET) != 0:
            error = ctypes.get_errno()
            raise OSError(error, f"setns({path}): {os.strerror(error)}")
    finally:
        os.close(descriptor)


@dataclass
class Network:
    """Hosts by name and the last byte of their address; `create()` builds, `remove()` undoes."""

    hosts: dict[str, int]
    prefix: str = field(default_factory=lambda: f"{PREFIX}{os.getpid()}-")
    made: list[str] = field(default_factory=list)

    def namespace(self, host: str) -> str:
        return f"{self.prefix}{host}"

    def address(self, host: str) -> str:
        return f"{SUBNET}.{self.hosts[host]}"

    def run_in(self, host: str) -> list[str]:
        """The argv prefix that runs a command on `host` (`ip netns exec` execs in place)."""
        return ["ip", "netns", "exec", self.namespace(host)]

    def create(self) -> None:
        """Every host on the switch; raises NamespacesRefused when the kernel says no."""
        if os.geteuid() != 0:
            raise NamespacesRefused("network namespaces need root (ip netns add)")
        if shutil.which("ip") is None:
            raise NamespacesRefused("the `ip` command (iproute2) is not installed")
        remove_stale()
        try:
            self._add_namespace(SWITCH)
        except RuntimeError as exc:
            raise NamespacesRefused(f"the kernel refused a network namespace: {exc}") from exc
        switch = self.namespace(SWITCH)
        _ip("-n", switch, "link", "add", BRIDGE, "type", "bridge")
        _ip("-n", switch, "link", "set", BRIDGE, "up")
        for host in self.hosts:
            self._plug(host)

    def _add_namespace(self, host: str) -> None:
        name = self.namespace(host)
        _ip("netns", "add", name)
        self.made.append(name)
        _ip("-n", name, "link", "set", "lo", "up")

    def _plug(self, host: str) -> None:
        """A namespace for `host`, cabled to the switch, with its address and nothing else."""
        self._add_namespace(host)
        name, port = self.namespace(host), self._port(host)
        switch = self.namespace(SWITCH)
        _ip("-n", switch, "link", "add", port, "type", "veth", "peer", "name", CABLE, "netns", name)
        _ip("-n", switch, "link", "set", port, "master", BRIDGE, "up")
        _ip("-n", name, "addr", "add", f"{self.address(host)}/24", "dev", CABLE)
        _ip("-n", name, "link", "set", CABLE, "up")

    @staticmethod
    def _port(host: str) -> str:
        return f"p-{host}"[:15]  # an interface name has at most 15 characters

    def cut(self, host: str) -> None:
        """Pull `host`'s cable out of the switch: its packets vanish, nobody is told."""
        _ip("-n", self.namespace(SWITCH), "link", "set", self._port(host), "down")

    def restore(self, host: str) -> None:
        _ip("-n", self.namespace(SWITCH), "link", "set", self._port(host), "up")

    def probe(self, observer: str, host: str, port: int, seconds: float = 1.0) -> int:
        """A TCP connection attempt from `observer` to `host`: 0 (accepted), ECONNREFUSED (the
        host answered, nobody listens) or the error of silence (timeout, unreachable)."""
        with self.inside(observer), socket.socket() as attempt:
            attempt.settimeout(seconds)
            return attempt.connect_ex((self.address(host), port))

    @contextlib.contextmanager
    def inside(self, host: str) -> Iterator[None]:
        """The calling thread's sockets are made on `host` until the block ends (setns is per
        thread; children started meanwhile are not affected: they enter their own host)."""
        own = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
        try:
            _setns(str(NETNS_DIR / self.namespace(host)))
            try:
                yield
            finally:
                if ctypes.CDLL(None, use_errno=True).setns(own, _CLONE_NEWNET) != 0:
                    raise OSError(ctypes.get_errno(), "could not return to our own namespace")
        finally:
            os.close(own)

    def remove(self) -> None:
        """Delete every namespace made (their cables and the switch go with them)."""
        for name in reversed(self.made):
            subprocess.run(["ip", "netns", "delete", name], check=False, capture_output=True)
        self.made.clear()
