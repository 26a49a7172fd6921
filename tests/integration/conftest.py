"""Fixtures the integration tests share beyond those of `tests/conftest.py`."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import psycopg
import pytest

from service.settings import Settings
from service.store.notifications import DONE_CHANNEL


@pytest.fixture
def listener(settings: Settings) -> Iterator[psycopg.Connection[Any]]:
    """A connection LISTENing to the "operation done" channel, as the API's listener does."""
    assert settings.database_url is not None
    with psycopg.connect(settings.database_url, autocommit=True) as connection:
        connection.execute(f"LISTEN {DONE_CHANNEL}")
        yield connection
