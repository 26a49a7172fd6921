"""The multi-host run's deployment (skipped where network namespaces cannot be made) and the
figures it prints at the end of the session."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.multihost.deployment import Deployment, deployed
from tests.multihost.evidence import Figures
from tests.multihost.network import NamespacesRefused
from tests.tallies import Section

FIGURES = Section[Figures]("multi-host run: hosts in network namespaces")


@pytest.fixture
def deployment() -> Iterator[Deployment]:
    # Not pytest's tmp_path: it is private (0700), and PostgreSQL runs as another user.
    work = Path(tempfile.mkdtemp(prefix="provisioner-multihost-"))
    work.chmod(0o755)
    try:
        with deployed(work) as found:
            yield found
    except NamespacesRefused as exc:
        pytest.skip(f"multi-host run skipped: {exc}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


@pytest.fixture
def figures() -> Iterator[Figures]:
    yield from FIGURES.kept(Figures())


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    FIGURES.write(terminalreporter)
