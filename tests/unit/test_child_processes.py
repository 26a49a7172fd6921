"""The process module on real children: readiness, stop escalation, die-with-parent, groups."""

from __future__ import annotations

import os
import signal
import socket
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from service.adapters.processes import Child, Group, ProcessError, spawn

# Prints "ready" once its SIGTERM handler is in place; on SIGTERM, appends its name to a file.
MEMBER = """
import signal, sys, time
name, record = sys.argv[1], sys.argv[2]
def stop(*_):
    with open(record, "a") as out:
        out.write(name + "\\n")
    sys.exit(0)
signal.signal(signal.SIGTERM, stop)
print("ready", flush=True)
time.sleep(60)
"""

# Exits with the status it is given when SIGINT arrives.
EXITS_ON_SIGINT = """
import signal, sys, time
signal.signal(signal.SIGINT, lambda *_: sys.exit(int(sys.argv[1])))
print("ready", flush=True)
time.sleep(60)
"""


def python(code: str, *args: str) -> list[str]:
    return [sys.executable, "-c", textwrap.dedent(code), *args]


@pytest.fixture
def children() -> Iterator[list[Child]]:
    """Whatever a test spawns is stopped (and reaped) however the test ends."""
    started: list[Child] = []
    yield started
    for child in started:
        child.stop(grace=1.0)


def gone(pid: int) -> bool:
    """Not running: no such process, or a zombie nobody has reaped yet."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return True
    return state in {"Z", "X"}


def test_ready_when_it_prints_the_line(children: list[Child]) -> None:
    child = spawn(
        "printer",
        python("import time; time.sleep(0.2); print('up and running', flush=True); time.sleep(60)"),
    )
    children.append(child)

    child.wait_ready(printed="up and running", timeout=10)

    assert child.alive()
    assert "up and running" in child.output()


def test_ready_when_its_port_accepts(children: list[Child]) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    listener = f"""
        import socket, time
        time.sleep(0.2)
        server = socket.create_server(("127.0.0.1", {port}))
        time.sleep(60)
    """
    child = spawn("listener", python(listener))
    children.append(child)

    child.wait_ready(port=port, timeout=10)

    with socket.create_connection(("127.0.0.1", port), timeout=2):
        pass


def test_a_readiness_timeout_reports_the_output_and_stops_it(children: list[Child]) -> None:
    child = spawn(
        "mute", python("print('warming up, slowly', flush=True); import time; time.sleep(60)")
    )
    children.append(child)

    with pytest.raises(
        ProcessError, match=r"(?s)mute was not ready after 0\.5 s.*warming up, slowly"
    ):
        child.wait_ready(printed="never printed", timeout=0.5)

    assert not child.alive()


def test_a_child_that_exits_at_start_up_fails_at_once_with_its_output(
    children: list[Child], tmp_path: Path
) -> None:
    log = tmp_path / "crash.log"
    log.write_text("an earlier run's line\n")
    child = spawn("crasher", python("import sys; sys.exit('bad configuration')"), output=log)
    children.append(child)
    started = time.monotonic()

    with pytest.raises(ProcessError, match="crasher exited with status 1") as failure:
        child.wait_ready(printed="ready", timeout=30)

    assert time.monotonic() - started < 5
    assert "bad configuration" in str(failure.value)
    assert "an earlier run's line" not in str(failure.value)  # only this run's output


def test_a_child_that_ignores_sigterm_is_killed_after_the_grace_period(
    children: list[Child],
) -> None:
    stubborn = """
        import signal, time
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        print("ready", flush=True)
        time.sleep(60)
    """
    child = spawn("stubborn", python(stubborn))
    children.append(child)
    child.wait_ready(printed="ready", timeout=10)
    said: list[str] = []
    started = time.monotonic()

    code = child.stop(grace=0.5, say=said.append)

    assert code == -signal.SIGKILL
    assert 0.5 <= time.monotonic() - started < 5
    assert said == ["stubborn did not stop in time; killing it"]
    assert gone(child.pid)


def test_a_child_stops_with_its_own_signal(children: list[Child]) -> None:
    child = spawn("interruptible", python(EXITS_ON_SIGINT, "7"), stop_signal=signal.SIGINT)
    children.append(child)
    child.wait_ready(printed="ready", timeout=10)

    assert child.stop(grace=10) == 7


def test_a_child_dies_when_its_parent_dies(tmp_path: Path) -> None:
    # The orphan would go to PID 1, which here reaps nobody: the middle process adopts it
    # (a subreaper) so that its end can be observed and reaped.
    parent = """
        import signal, sys, time
        from service.adapters.processes import spawn
        sleeper = [sys.executable, "-c", "import time; time.sleep(60)"]
        child = spawn("sleeper", sleeper, output="inherited")
        print(child.pid, flush=True)
        time.sleep(60)
    """
    subreaper = f"""
        import ctypes, os, signal, subprocess, sys, time
        ctypes.CDLL(None).prctl(36, 1)  # PR_SET_CHILD_SUBREAPER
        code = {textwrap.dedent(parent)!r}
        parent = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE)
        grandchild = int(parent.stdout.readline())
        parent.kill()
        parent.wait()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            pid, status = os.waitpid(grandchild, os.WNOHANG)
            if pid:
                print("ended by signal", os.WTERMSIG(status) if os.WIFSIGNALED(status) else None)
                break
            time.sleep(0.02)
        else:
            os.kill(grandchild, signal.SIGKILL)
            os.waitpid(grandchild, 0)
            print("still running after its parent died")
    """
    observer = spawn("observer", python(subreaper))
    try:
        assert observer.reap(30) == 0, observer.output()
        assert observer.output().strip() == f"ended by signal {int(signal.SIGTERM)}"
    finally:
        observer.stop(grace=1.0)


def _member(tmp_path: Path, name: str) -> Child:
    child = spawn(name, python(MEMBER, name, str(tmp_path / "stopped")))
    child.wait_ready(printed="ready", timeout=10)
    return child


def test_a_group_stops_in_the_given_order_then_the_rest(tmp_path: Path) -> None:
    said: list[str] = []
    with Group(said.append) as group:
        for name in ("serve", "extra", "beat", "worker"):
            group.add(_member(tmp_path, name))
        group.stop(order=("serve", "beat", "worker"))

    assert (tmp_path / "stopped").read_text().split() == ["serve", "beat", "worker", "extra"]
    assert said == ["stopping serve", "stopping beat", "stopping worker"]
    assert not any(child.alive() for child in group.children)


def test_a_group_stops_all_when_one_member_dies(tmp_path: Path) -> None:
    said: list[str] = []
    with Group(said.append, interval=0.05) as group:
        survivor = group.add(_member(tmp_path, "survivor"))
        group.add(spawn("short-lived", python("import time, sys; time.sleep(0.3); sys.exit(3)")))

        code = group.run()

    assert code == 1
    assert said[0] == "short-lived exited with status 3; stopping"
    assert (tmp_path / "stopped").read_text().split() == ["survivor"]
    assert gone(survivor.pid)


def test_a_group_forwards_the_stop_signal_it_receives(tmp_path: Path) -> None:
    before = signal.getsignal(signal.SIGINT)
    with Group(lambda _: None, forward_signal=True, interval=0.05) as group:
        member = group.add(spawn("member", python(EXITS_ON_SIGINT, "5")))
        member.wait_ready(printed="ready", timeout=10)
        threading.Timer(0.2, os.kill, (os.getpid(), signal.SIGINT)).start()

        code = group.run()

    assert (code, group.received, member.popen.returncode) == (0, signal.SIGINT, 5)
    assert signal.getsignal(signal.SIGINT) is before  # put back on leaving the block
