"""The fault suite's stack: its own embedded servers, API, worker and beat, all real processes."""

from __future__ import annotations

import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from service.adapters.embedded import embedded_servers
from service.domain.roles import Role
from service.settings import Settings
from service.store.db import create_sync_engine
from service.store.migrations import upgrade_to_head
from service.store.tokens import ensure_organization, issue_token
from tests.conftest import service_env
from tests.faults.stack import Report, Stack, free_port
from tests.processes import ServiceProcess, start_service, wait_until_ready
from tests.tallies import Section

SLOW_SECONDS = 3.0
REPORTS = Section[Report]("fault injection: every accepted operation done exactly once")


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    data_dir = Path(tempfile.mkdtemp(prefix="provisioner-faults-"))
    data_dir.chmod(0o755)
    try:
        with embedded_servers(data_dir / "servers", fast=True) as servers:
            upgrade_to_head(servers.database_url)
            engine = create_sync_engine(servers.database_url)
            with Session(engine) as session, session.begin():
                organization = ensure_organization(session, f"FAULTS_{uuid.uuid4().hex[:6]}")
                token = issue_token(session, organization, Role.ADMIN, "fault suite")
            port = free_port()
            settings = Settings(
                database_url=servers.database_url,
                redis_url=servers.redis_url,
                tenant_database_url=servers.tenant_url,
                data_dir=data_dir / "data",
                api_port=port,
                driver="postgres",
                purge_interval_seconds=1.0,
                republish_after_seconds=2.0,
                stranded_after_seconds=3.0,
                simulated_latency_seconds=SLOW_SECONDS,
                simulated_latency_pattern=r"^[a-z]+:SLOW_",
                db_timeout_seconds=3.0,
                rate_limit_per_second=0,
            )
            env = service_env(settings)
            logs = data_dir / "logs"
            logs.mkdir()
            processes: dict[str, ServiceProcess] = {}
            try:
                processes["worker"] = start_service("worker", env, logs, " ready.")
                processes["beat"] = start_service("beat", env, logs, "beat: Starting")
                processes["serve"] = start_service("serve", env, logs, "Running on")
                base_url = f"http://127.0.0.1:{port}"
                if not wait_until_ready(base_url):
                    raise RuntimeError(f"{base_url} never became ready")
                yield Stack(servers, engine, base_url, token, processes)
            finally:
                for process in processes.values():
                    process.stop()
                engine.dispose()
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


@pytest.fixture
def report(request: pytest.FixtureRequest) -> Iterator[Report]:
    yield from REPORTS.kept(Report(request.node.name.removeprefix("test_").replace("_", " ")))


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    REPORTS.write(terminalreporter)
