"""One live API for the conformance suites: schemathesis talks HTTP from its own thread."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from service.settings import Settings
from tests.conftest import service_env
from tests.faults.stack import free_port
from tests.processes import ServiceProcess, start_service


@pytest.fixture(scope="session")
def live_api(
    settings: Settings, worker: ServiceProcess, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A real `provisioner serve` process with the session's worker behind it."""
    port = free_port()
    env = {**service_env(settings), "API_PORT": str(port)}
    api = start_service("serve", env, tmp_path_factory.mktemp("conformance"), "Running on")
    yield f"http://127.0.0.1:{port}"
    api.stop()
