"""Drivers around drivers (routing, fault injection) run every step of the protocol."""

from __future__ import annotations

from typing import Any

from service.domain.account_spec import AccountSpec
from service.usecases.operations import DriverOutcome
from workers.drivers.base import STEPS, DatabaseUsage, ProvisioningDriver, SteppingDriver


def test_the_steps_are_the_protocols_steps() -> None:
    members = {name for name in vars(ProvisioningDriver) if not name.startswith("_")}
    assert set(STEPS) == members - {"measure_usage"}


def test_each_step_runs_as_step_with_its_kind() -> None:
    seen: list[tuple[str, Any]] = []

    class Recording(SteppingDriver):
        def _step(self, kind: str, account: AccountSpec) -> DriverOutcome:
            seen.append((kind, account))
            return DriverOutcome()

        def measure_usage(self) -> list[DatabaseUsage]:
            return []

    driver: ProvisioningDriver = Recording()
    account: Any = object()
    for kind in STEPS:
        getattr(driver, kind)(account)
    assert seen == [(kind, account) for kind in STEPS]
