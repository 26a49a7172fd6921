"""A driver with no outside effects, for tests and benchmarks."""

from __future__ import annotations

import dataclasses

from service.domain.account_spec import AccountSpec
from service.domain.tenants import connection_url
from service.usecases.operations import DriverOutcome
from workers.drivers.base import DatabaseUsage

SIMULATED_PORT = 5432


class SimulatedDriver:
    """Reports what a real driver would, on a host under `url_domain`, and changes nothing."""

    def __init__(self, *, url_domain: str) -> None:
        self._domain = url_domain

    def _outcome(self, account: AccountSpec) -> DriverOutcome:
        host = f"{_host(account.organization_name)}-{_host(account.name)}.{self._domain}"
        url = connection_url(account.tenant_role, host, SIMULATED_PORT, account.tenant_database)
        return DriverOutcome(
            account_url=f"https://{host}",
            account_locator_url=(
                f"https://{_host(account.locator)}.{_host(account.region)}.{self._domain}"
            ),
            credentials={
                "user": account.tenant_role,
                "database": account.tenant_database,
                "host": host,
                "port": SIMULATED_PORT,
                "url": url,
            },
        )

    def create(self, account: AccountSpec) -> DriverOutcome:
        return self._outcome(account)

    def drop(self, account: AccountSpec) -> DriverOutcome:
        return DriverOutcome()

    def undrop(self, account: AccountSpec) -> DriverOutcome:
        return DriverOutcome()

    def purge(self, account: AccountSpec) -> DriverOutcome:
        return DriverOutcome()

    def update(self, account: AccountSpec) -> DriverOutcome:
        new_name = account.request.get("patch", {}).get("name")
        if new_name is None:
            return DriverOutcome()
        return self._outcome(dataclasses.replace(account, name=new_name))

    def measure_usage(self) -> list[DatabaseUsage]:
        return []  # nothing exists to measure

    def rotate(self, account: AccountSpec) -> DriverOutcome:
        return DriverOutcome(credentials=self._outcome(account).credentials)


def _host(label: str) -> str:
    """A DNS label: lower case, `_` becomes `-` (as account URLs do)."""
    return label.lower().replace("_", "-")
