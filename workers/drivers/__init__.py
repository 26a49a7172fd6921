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
from workers.drivers.routing import ClusterRouter, Directory
from workers.drivers.simulated import SimulatedDriver

__all__ = [
    "ClusterRouter",
    "DatabaseUsage",
    "Directory",
    "DriverError",
    "FaultInjectingDriver",
    "PostgresDriver",
    "ProvisioningDriver",
    "SimulatedDriver",
    "TransientDriverError",
    "create_driver",
]


def postgres_driver(
    settings: Settings, url: str, host: str | None, port: int | None
) -> PostgresDriver:
    return PostgresDriver(
        url,
        plans=settings.plans(),
        public_host=host,
        public_port=port,
        statement_timeout_seconds=settings.tenant_statement_timeout_seconds,
    )


def create_driver(settings: Settings, directory: Directory | None = None) -> ProvisioningDriver:
    """The settings' driver; with a `directory` of the tenant cluster registry, the postgres
    driver runs each step on the account's own cluster (ClusterRouter)."""
    driver: ProvisioningDriver
    if settings.driver == "postgres":
        tenant_url = settings.tenant_url()
        if not tenant_url:
            raise RuntimeError("the postgres driver needs TENANT_DATABASE_URL or DATABASE_URL")
        driver = postgres_driver(
            settings, tenant_url, settings.tenant_public_host, settings.tenant_public_port
        )
        if directory is not None:
            driver = ClusterRouter(driver, directory)
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
