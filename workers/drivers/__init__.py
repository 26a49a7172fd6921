"""Provisioning drivers: the protocol and its implementations."""

from __future__ import annotations

from service.settings import Settings
from workers.drivers.base import DriverError, ProvisioningDriver, TransientDriverError
from workers.drivers.simulated import SimulatedDriver

__all__ = [
    "DriverError",
    "ProvisioningDriver",
    "SimulatedDriver",
    "TransientDriverError",
    "create_driver",
]


def create_driver(settings: Settings) -> ProvisioningDriver:
    if settings.driver == "simulated":
        return SimulatedDriver(
            latency_seconds=settings.simulated_latency_seconds,
            latency_pattern=settings.simulated_latency_pattern,
            failure_pattern=settings.simulated_failure_pattern,
            url_domain=settings.account_url_domain,
        )
    raise ValueError(f"unknown driver {settings.driver!r}")  # pragma: no cover - Literal-typed
