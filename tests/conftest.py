"""Session-wide real infrastructure: PostgreSQL, Redis, a Celery worker and beat."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import uuid
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from service.adapters.logs import configure_structlog
from service.domain.roles import Role
from service.settings import Settings
from service.store.db import create_sync_engine
from service.store.migrations import upgrade_to_head
from service.store.tokens import ensure_organization, issue_token
from service.web.app import create_app
from tests.processes import ServiceProcess, start_service
from tests.servers import RealServers, real_servers

# Fault injection through the simulated driver, matched against "kind:NAME".
FAILURE_PATTERN = r"^create:FAIL_|^drop:FAILDROP_"
LATENCY_PATTERN = r"^[a-z]+:SLOW_"
SLOW_SECONDS = 3.0
PURGE_INTERVAL_SECONDS = 1.0
REPUBLISH_AFTER_SECONDS = 2.0
STRANDED_AFTER_SECONDS = 61.0  # the least allowed; tests backdate claims well past it


def pytest_configure(config: pytest.Config) -> None:
    # The API runs in the test process: route its structlog events through standard logging,
    # so `caplog` (and the password-leak test that reads it) sees them.
    configure_structlog()


@pytest.fixture(scope="session")
def servers() -> Iterator[RealServers]:
    # Not pytest's tmp_path: it is private (0700), and as root PostgreSQL runs as another user.
    data_dir = Path(tempfile.mkdtemp(prefix="provisioner-test-"))
    data_dir.chmod(0o755)
    try:
        with real_servers(data_dir) as found:
            upgrade_to_head(found.database_url)
            yield found
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


@pytest.fixture(scope="session")
def settings(servers: RealServers, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return Settings(
        database_url=servers.database_url,
        redis_url=servers.redis_url,
        tenant_database_url=servers.tenant_url,
        data_dir=tmp_path_factory.mktemp("data"),
        queue_name=f"provisioner-test-{uuid.uuid4().hex[:8]}",
        purge_interval_seconds=PURGE_INTERVAL_SECONDS,
        republish_after_seconds=REPUBLISH_AFTER_SECONDS,
        stranded_after_seconds=STRANDED_AFTER_SECONDS,
        driver="postgres",
        simulated_failure_pattern=FAILURE_PATTERN,
        simulated_latency_seconds=SLOW_SECONDS,
        simulated_latency_pattern=LATENCY_PATTERN,
        log_level="INFO",
        rate_limit_per_second=0,  # the tests' bursts are not what the limiter is for
    )


def service_env(settings: Settings) -> dict[str, str]:
    """The environment that makes a child process build exactly `settings`."""
    env = dict(os.environ)
    for name, value in settings.model_dump(mode="json").items():
        if value is None:
            env.pop(name.upper(), None)
        elif isinstance(value, list | tuple | dict):
            env[name.upper()] = json.dumps(value)
        else:
            env[name.upper()] = str(value)
    if settings.secret_key is not None:
        env["SECRET_KEY"] = settings.secret_key.get_secret_value()
    return env


def running_service(
    name: str, settings: Settings, tmp_path_factory: pytest.TempPathFactory, ready: str
) -> Iterator[ServiceProcess]:
    """Body of a session fixture: the `provisioner NAME` process, up until the session ends."""
    process = start_service(name, service_env(settings), tmp_path_factory.mktemp(name), ready)
    yield process
    process.stop()


@pytest.fixture(scope="session")
def worker(
    settings: Settings, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ServiceProcess]:
    yield from running_service("worker", settings, tmp_path_factory, " ready.")


@pytest.fixture(scope="session")
def beat(
    settings: Settings, worker: ServiceProcess, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ServiceProcess]:
    yield from running_service("beat", settings, tmp_path_factory, "beat: Starting")


@pytest.fixture(scope="session")
def engine(settings: Settings) -> Iterator[Engine]:
    assert settings.database_url is not None
    engine = create_sync_engine(settings.database_url)
    yield engine
    engine.dispose()


@dataclass(frozen=True)
class Tenant:
    """An organization of its own for one test, with a token per role."""

    name: str
    tokens: dict[Role, str]

    def headers(self, role: Role = Role.ADMIN) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[role]}"}


def make_tenant(engine: Engine) -> Tenant:
    name = f"ORG_{uuid.uuid4().hex[:10].upper()}"
    with Session(engine) as session, session.begin():
        organization = ensure_organization(session, name)
        tokens = {role: issue_token(session, organization, role, "test") for role in Role}
    return Tenant(name, tokens)


@pytest.fixture
def tenant(engine: Engine) -> Tenant:
    return make_tenant(engine)


@pytest.fixture
def other_tenant(engine: Engine) -> Tenant:
    return make_tenant(engine)


ClientFactory = Callable[..., Awaitable[TestClient[Any, Any]]]


@pytest.fixture
async def client(
    aiohttp_client: ClientFactory, settings: Settings, worker: ServiceProcess, beat: ServiceProcess
) -> TestClient[Any, Any]:
    """The API in this process over real HTTP, with the session's real worker and beat."""
    return await aiohttp_client(create_app(settings))
