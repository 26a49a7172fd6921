"""Provisioning drivers: the protocol and its implementations."""

from __future__ import annotations

from service.settings import Settings
from workers.drivers.base import (
    DatabaseUsage,
    DriverError,
    ProvisioningDriver,
    TransientDriverError,
)
from workers.drivers.faults import FaultInjectingDriver
from workers.drivers.postgres import PostgresDriver
from workers.drivers.simulated import SimulatedDriver

__all__ = [
    "DatabaseUsage",
    "DriverError",
    "FaultInjectingDriver",
    "PostgresDriver",
    "ProvisioningDriver",
    "SimulatedDriver",
    "TransientDriverError",
    "create_driver",
]


def create_driver(settings: Settings) -> ProvisioningDriver:
    driver: ProvisioningDriver
    if settings.driver == "postgres":
        tenant_url = settings.tenant_url()
        if not tenant_url:
            raise RuntimeError("the postgres driver needs TENANT_DATABASE_URL or DATABASE_URL")
        driver = PostgresDriver(
            tenant_url,
            plans=settings.plans(),
            public_host=settings.tenant_public_host,
            public_port=settings.tenant_public_port,
            statement_timeout_seconds=settings.tenant_statement_timeout_seconds,
        )
    else:
        driver = SimulatedDriver(url_domain=settings.account_url_domain)
    if settings.simulated_latency_seconds or settings.simulated_failure_pattern:
        driver = FaultInjectingDriver(
            driver,
            latency_seconds=settings.simulated_latency_seconds,
            latency_pattern=settings.simulated_latency_pattern,
            failure_pattern=settings.simulated_failure_pattern,
        )
    return driver
