"""A driver with no outside effects: configurable latency and an injectable failure."""

from __future__ import annotations

import re
import time

from service.operations import DriverOutcome
from workers.drivers.base import AccountSpec, DriverError


class SimulatedDriver:
    """Patterns are matched against `"<kind>:<ACCOUNT_NAME>"`, e.g. `^create:FAIL_`.

    Each step waits `latency_seconds` (only the steps matching `latency_pattern`, when given)
    and fails permanently when `failure_pattern` matches.
    """

    def __init__(
        self,
        *,
        latency_seconds: float,
        latency_pattern: str = "",
        failure_pattern: str = "",
        url_domain: str,
    ) -> None:
        self._latency = latency_seconds
        self._slow = re.compile(latency_pattern) if latency_pattern else None
        self._failure = re.compile(failure_pattern) if failure_pattern else None
        self._domain = url_domain

    def _step(self, kind: str, account: AccountSpec) -> None:
        step = f"{kind}:{account.name}"
        if self._latency and (self._slow is None or self._slow.search(step)):
            time.sleep(self._latency)
        if self._failure is not None and self._failure.search(step):
            raise DriverError(f"simulated failure injected for {kind}:{account.name}")

    def create(self, account: AccountSpec) -> DriverOutcome:
        self._step("create", account)
        organization = account.organization_name
        return DriverOutcome(
            account_url=f"https://{_host(organization)}-{_host(account.name)}.{self._domain}",
            account_locator_url=(
                f"https://{_host(account.locator)}.{_host(account.region)}.{self._domain}"
            ),
        )

    def drop(self, account: AccountSpec) -> DriverOutcome:
        self._step("drop", account)
        return DriverOutcome()

    def undrop(self, account: AccountSpec) -> DriverOutcome:
        self._step("undrop", account)
        return DriverOutcome()

    def purge(self, account: AccountSpec) -> DriverOutcome:
        self._step("purge", account)
        return DriverOutcome()


def _host(label: str) -> str:
    """A DNS label: lower case, `_` becomes `-` (as account URLs do)."""
    return label.lower().replace("_", "-")
