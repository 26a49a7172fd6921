"""A thread of its own at a lower CPU priority, for background work a worker process runs
(purge batches): on Linux niceness is per thread, so the process's other tasks keep theirs."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

import structlog

from service.adapters.logs import error_text

log = structlog.get_logger(__name__)
T = TypeVar("T")


class LowPriorityThread:
    """Runs calls one at a time on a thread `niceness` steps nicer than the process; the thread
    is started on first use in the process that uses it (a pool process, after the fork)."""

    def __init__(self, niceness: int) -> None:
        self._niceness = niceness
        self._executor: ThreadPoolExecutor | None = None
        self._pid = 0

    def run(self, call: Callable[[], T]) -> T:
        if self._niceness <= 0:
            return call()
        if self._executor is None or self._pid != os.getpid():
            self._executor = ThreadPoolExecutor(1, "low-priority", initializer=self._lower)
            self._pid = os.getpid()
        return self._executor.submit(call).result()

    def _lower(self) -> None:
        try:
            # PRIO_PROCESS with a thread id sets that thread's niceness alone (Linux).
            current = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), current + self._niceness)
        except (OSError, AttributeError) as exc:
            log.warning("priority.unchanged", niceness=self._niceness, error=error_text(exc))

    def close(self) -> None:
        if self._executor is not None and self._pid == os.getpid():
            self._executor.shutdown(wait=False)
        self._executor = None
