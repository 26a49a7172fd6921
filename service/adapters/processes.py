"""Child processes: spawned to die with us, awaited until ready, stopped and always reaped."""

from __future__ import annotations

import ctypes
import os
import pwd
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType, TracebackType
from typing import IO, Any, Literal

READY_TIMEOUT_SECONDS = 60.0
STOP_GRACE_SECONDS = 30.0
# A child that failed to start gets this long to write its last words after SIGTERM.
FAILED_START_GRACE_SECONDS = 5.0
POLL_SECONDS = 0.05
TAIL_CHARACTERS = 3000
_PR_SET_PDEATHSIG = 1

Say = Callable[[str], None]
_Handler = Callable[[int, FrameType | None], Any] | int | signal.Handlers | None
# A log file the child appends to, a private temporary file, or our own stdout and stderr.
Output = Path | Literal["captured", "inherited"]


class ProcessError(RuntimeError):
    """A child did not start or get ready; the message ends with the tail of its output."""


def die_with_parent(signum: int) -> Callable[[], None]:
    """A `preexec_fn`: the kernel sends `signum` to the child when our spawning thread ends.

    Call it from the main thread (the signal follows the thread that forked, not the process).
    """
    libc = ctypes.CDLL(None, use_errno=True)  # loaded here: the forked child should not dlopen
    parent = os.getpid()

    def preexec() -> None:
        libc.prctl(_PR_SET_PDEATHSIG, signum)
        if os.getppid() != parent:  # we died between fork and prctl: no signal will come
            os.kill(os.getpid(), signum)

    return preexec


def poll_until(
    check: Callable[[], bool],
    *,
    timeout: float,
    interval: float = POLL_SECONDS,
    give_up: Callable[[], bool] = lambda: False,
) -> bool:
    """Call `check` until it is true (True), `give_up()` is true or `timeout` s pass (False)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not give_up():
        if check():
            return True
        time.sleep(interval)
    return False


def port_accepts(port: int, host: str = "127.0.0.1") -> Callable[[], bool]:
    def check() -> bool:
        with socket.socket() as probe:
            return probe.connect_ex((host, port)) == 0

    return check


def http_answers(url: str, *, status: int | None = None) -> Callable[[], bool]:
    """True once `url` answers `status` (or, without one, answers HTTP at all)."""

    def check() -> bool:
        try:
            # Callers pass their own child's loopback URL.
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310
                answered = int(response.status)
        except urllib.error.HTTPError as error:
            answered = error.code
            error.close()
        except OSError:
            return False
        return status is None or answered == status

    return check


@dataclass(eq=False)
class Child:
    """One spawned process; `popen` is there for signals and waits a caller needs itself."""

    name: str
    popen: subprocess.Popen[bytes]
    stop_signal: int
    log_path: Path | None = None
    _captured: IO[bytes] | None = None
    _start: int = 0  # where this run's output begins in an appended log

    @property
    def pid(self) -> int:
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen.poll() is None

    def send_signal(self, signum: int) -> None:
        if self.alive():
            self.popen.send_signal(signum)

    def output(self) -> str:
        """What this run printed so far (empty when the output is inherited)."""
        if self._captured is not None:
            size = os.fstat(self._captured.fileno()).st_size
            data = os.pread(self._captured.fileno(), max(0, size - self._start), self._start)
        elif self.log_path is not None:
            with self.log_path.open("rb") as log:
                log.seek(self._start)
                data = log.read()
        else:
            return ""
        return data.decode(errors="replace")

    def output_tail(self, characters: int = TAIL_CHARACTERS) -> str:
        if self._captured is None and self.log_path is None:
            return "(its output is not captured)"
        return self.output()[-characters:]

    def wait_ready(
        self,
        *,
        printed: str | None = None,
        port: int | None = None,
        check: Callable[[], bool] | None = None,
        timeout: float = READY_TIMEOUT_SECONDS,
        interval: float = POLL_SECONDS,
    ) -> None:
        """Until it prints `printed`, accepts on `port` or `check()` is true. If it exits or time
        runs out first, it is stopped and `ProcessError` says why, with its output's tail."""
        ready = _readiness(self, printed, port, check)
        if poll_until(ready, timeout=timeout, interval=interval, give_up=lambda: not self.alive()):
            return
        if self.alive():
            reason = f"was not ready after {timeout:g} s"
            self.send_signal(self.stop_signal)
        else:
            reason = f"exited with status {self.popen.returncode} before it was ready"
        self.reap(FAILED_START_GRACE_SECONDS)
        tail = self.output_tail()  # read once it has exited: all it wrote is there
        self.close()
        raise ProcessError(f"{self.name} {reason}; the end of its output:\n{tail}")

    def stop(
        self,
        grace: float = STOP_GRACE_SECONDS,
        *,
        signum: int | None = None,
        say: Say | None = None,
    ) -> int:
        """Its stop signal (or `signum`), SIGKILL after `grace` s; reaped. The exit status."""
        self.send_signal(self.stop_signal if signum is None else signum)
        code = self.reap(grace, say=say)
        self.close()
        return code

    def reap(self, timeout: float, *, say: Say | None = None) -> int:
        """Wait up to `timeout` s for it to exit, then SIGKILL it. The exit status."""
        try:
            return self.popen.wait(max(0.0, timeout))
        except subprocess.TimeoutExpired:
            if say is not None:
                say(f"{self.name} did not stop in time; killing it")
            self.popen.kill()
            return self.popen.wait()

    def close(self) -> None:
        """Let go of its captured output and pipe (`stop` does; after `reap`, read first)."""
        if self._captured is not None:
            self._captured.close()
            self._captured = None
        if self.popen.stdout is not None:
            self.popen.stdout.close()


def _readiness(
    child: Child, printed: str | None, port: int | None, check: Callable[[], bool] | None
) -> Callable[[], bool]:
    given = [way for way in (printed, port, check) if way is not None]
    if len(given) != 1:
        raise ValueError("wait_ready takes exactly one of printed, port or check")
    if printed is not None:
        return lambda: printed in child.output()
    if port is not None:
        return port_accepts(port)
    assert check is not None  # noqa: S101 - exactly one was given
    return check


def spawn(
    name: str,
    argv: Sequence[str],
    *,
    env: dict[str, str] | None = None,
    output: Output = "captured",
    stdout_pipe: bool = False,
    stop_signal: int = signal.SIGTERM,
    new_session: bool = False,
    user: pwd.struct_passwd | None = None,
) -> Child:
    """Start `argv`; it gets `stop_signal` when we die and when it is stopped.

    `output` takes its stdout and stderr (only stderr with `stdout_pipe`, for a result read
    with `popen.communicate()`). `new_session`: a Ctrl-C in our terminal does not reach it, so
    we stop it in our own order. `user`: run as that account (we are root). Main thread only.
    """
    captured: IO[bytes] | None = None
    log_path: Path | None = None
    start = 0
    if output == "captured":
        captured = tempfile.TemporaryFile(prefix=f"{name}-")  # noqa: SIM115 - kept until close()
        sink: IO[bytes] | None = captured
    elif output == "inherited":
        sink = None
    else:
        log_path = output
        sink = log_path.open("ab")
        start = sink.tell()
    account: dict[str, object] = {}
    if user is not None:
        account = {"user": user.pw_uid, "group": user.pw_gid, "extra_groups": []}
    try:
        popen = subprocess.Popen(  # type: ignore[call-overload]
            list(argv),
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE if stdout_pipe else sink,
            stderr=sink,
            preexec_fn=die_with_parent(stop_signal),  # noqa: PLW1509 - see die_with_parent
            start_new_session=new_session,
            **account,
        )
    except BaseException:
        if captured is not None:
            captured.close()
        raise
    finally:
        if log_path is not None and sink is not None:
            sink.close()  # the child holds its own descriptor
    return Child(name, popen, stop_signal, log_path, captured, start)


def stop_at_once(
    children: Sequence[Child],
    grace: float = STOP_GRACE_SECONDS,
    *,
    signum: int | None = None,
    say: Say | None = None,
) -> None:
    """Signal all, then reap each within one shared grace period: stops that take their time
    overlap instead of adding up."""
    for child in children:
        child.send_signal(child.stop_signal if signum is None else signum)
    deadline = time.monotonic() + grace
    for child in children:
        child.reap(deadline - time.monotonic(), say=say)
        child.close()


@dataclass(eq=False)
class Group:
    """Children that live and die together (`up`, `serve --workers`).

    Entered in the main thread: from then until exit, SIGTERM and SIGINT to us ask the group to
    stop instead of ending us. On exit whatever still runs is stopped.
    """

    say: Say
    grace: float = STOP_GRACE_SECONDS
    # Pass on the signal we received instead of each child's stop signal.
    forward_signal: bool = False
    interval: float = 0.2
    children: list[Child] = field(default_factory=list)
    received: int | None = None
    _previous: dict[int, _Handler] = field(default_factory=dict)

    def __enter__(self) -> Group:
        for signum in (signal.SIGTERM, signal.SIGINT):
            self._previous[signum] = signal.signal(signum, self._request_stop)
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        try:
            self.stop()
        finally:
            for signum, handler in self._previous.items():
                if handler is not None:  # None: set outside Python, cannot be put back
                    signal.signal(signum, handler)

    def _request_stop(self, signum: int, _frame: FrameType | None) -> None:
        self.received = signum

    def add(self, child: Child) -> Child:
        self.children.append(child)
        return child

    def wait(self) -> Child | None:
        """Until a stop signal arrives (None) or a child exits (that child)."""
        while self.received is None:
            dead = next((child for child in self.children if not child.alive()), None)
            if dead is not None:
                return dead
            time.sleep(self.interval)
        return None

    def stop(self, order: Sequence[str] = ()) -> None:
        """The children named in `order` one after another, then all the others at once."""
        signum = self.received if self.forward_signal else None
        for name in order:
            for child in self.children:
                if child.name == name:
                    if child.alive():
                        self.say(f"stopping {name}")
                    child.stop(self.grace, signum=signum, say=self.say)
        rest = [child for child in self.children if child.name not in order]
        stop_at_once(rest, self.grace, signum=signum, say=self.say)

    def run(self, order: Sequence[str] = ()) -> int:
        """Wait, then stop all (see `stop`). The exit status: 1 if a child died, else 0."""
        dead = self.wait()
        if dead is not None:
            self.say(f"{dead.name} exited with status {dead.popen.returncode}; stopping")
        self.stop(order)
        return 0 if dead is None else 1
