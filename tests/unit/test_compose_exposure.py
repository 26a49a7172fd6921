"""docker-compose.yml exposes what customers need and nothing else (Docker itself is not run
here: the file and the pg_hba.conf it mounts are read)."""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Any

import pytest

yaml = pytest.importorskip("yaml")

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "docker-compose.yml"
LOOPBACK = "127.0.0.1:"


def _compose() -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load(COMPOSE.read_text())
    return document


def _published(service: dict[str, Any]) -> list[str]:
    return [str(port) for port in service.get("ports", [])]


def _hba_lines() -> list[list[str]]:
    text = (ROOT / "deploy" / "tenant-postgres" / "pg_hba.conf").read_text()
    return [line.split() for line in text.splitlines() if line.strip() and not line.startswith("#")]


def test_redis_and_the_control_database_publish_nothing_beyond_loopback() -> None:
    services = _compose()["services"]
    for name, service in services.items():
        for port in _published(service):
            if name != "tenant-postgres":
                assert port.startswith(LOOPBACK), f"{name} publishes {port} beyond loopback"
    assert _published(services["redis"]) == []
    assert _published(services["postgres"]) == []
    assert _published(services["tenant-postgres"]), "customers must reach the tenant cluster"


def test_the_tenant_superuser_has_no_password_in_the_file() -> None:
    service = _compose()["services"]["tenant-postgres"]
    environment = service.get("environment", {})
    assert "POSTGRES_PASSWORD" not in environment
    assert "POSTGRES_HOST_AUTH_METHOD" not in environment
    assert environment["PASSWORD_FILE"].startswith("/secrets/")
    assert any(volume.endswith(":/secrets") for volume in service["volumes"])
    entrypoint = (ROOT / service["entrypoint"][0].replace("/deploy/", "deploy/", 1)).read_text()
    assert "/dev/urandom" in entrypoint
    assert "POSTGRES_PASSWORD_FILE" in entrypoint


def test_the_tenant_superuser_is_refused_from_outside_the_admin_network() -> None:
    compose = _compose()
    service = compose["services"]["tenant-postgres"]
    assert "hba_file=/deploy/tenant-postgres/pg_hba.conf" in service["command"]
    admin = compose["networks"]["tenant-admin"]
    assert admin["internal"] is True
    subnet = ipaddress.ip_network(admin["ipam"]["config"][0]["subnet"])
    gateway = ipaddress.ip_address(admin["ipam"]["config"][0]["gateway"])
    superuser = [line for line in _hba_lines() if line[0] == "host" and line[2] == "postgres"]
    # First match wins: the gateway refused, the admin network admitted, everything else refused.
    assert superuser[0][3:] == [f"{gateway}/32", "reject"]
    assert superuser[1][3] == str(subnet)
    assert superuser[-1][3:] == ["all", "reject"]
    for line in superuser:
        if line[-1] != "reject":
            assert ipaddress.ip_network(line[3]).subnet_of(subnet)  # type: ignore[arg-type]
    others = _hba_lines()[_hba_lines().index(superuser[-1]) + 1 :]
    assert others == [["host", "all", "all", "all", "scram-sha-256"]]
    # Only the workers join the admin network and receive the tenant cluster's superuser URL.
    joined = [
        name
        for name, each in compose["services"].items()
        if "tenant-admin" in (each.get("networks") or [])
    ]
    assert sorted(joined) == ["tenant-postgres", "worker"]
