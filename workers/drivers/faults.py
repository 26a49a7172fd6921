"""Fault injection around any driver: latency and permanent failures, chosen by pattern.

Patterns are searched in `"<kind>:<ACCOUNT_NAME>"`, e.g. `^create:FAIL_`. Used by tests, the
fault suite and benchmarks to open timing windows and to fail steps on purpose.
"""

from __future__ import annotations

import re
import time

from service.domain.account_spec import AccountSpec
from service.usecases.operations import DriverOutcome
from workers.drivers.base import DatabaseUsage, DriverError, ProvisioningDriver, SteppingDriver


class FaultInjectingDriver(SteppingDriver):
    def __init__(
        self,
        inner: ProvisioningDriver,
        *,
        latency_seconds: float,
        latency_pattern: str = "",
        failure_pattern: str = "",
    ) -> None:
        self._inner = inner
        self._latency = latency_seconds
        self._slow = re.compile(latency_pattern) if latency_pattern else None
        self._failure = re.compile(failure_pattern) if failure_pattern else None

    def _before(self, kind: str, account: AccountSpec) -> None:
        step = f"{kind}:{account.name}"
        if self._latency and (self._slow is None or self._slow.search(step)):
            account.progress("waiting (injected latency)")
            time.sleep(self._latency)
        if self._failure is not None and self._failure.search(step):
            raise DriverError(f"injected failure for {step}")

    @property
    def inner(self) -> ProvisioningDriver:
        return self._inner

    def measure_usage(self) -> list[DatabaseUsage]:
        return self._inner.measure_usage()

    def _step(self, kind: str, account: AccountSpec) -> DriverOutcome:
        """The injected latency or failure first, then the inner driver's step."""
        self._before(kind, account)
        outcome: DriverOutcome = getattr(self._inner, kind)(account)
        return outcome
