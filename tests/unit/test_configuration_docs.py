"""docs/configuration.md's settings table names every setting the service reads, and only those."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from service.settings import Settings

CONFIGURATION = Path(__file__).resolve().parents[2] / "docs" / "configuration.md"
_ROW = re.compile(r"\| `([A-Z0-9_]+)` \|")


def _settings_table_variables() -> list[str]:
    """The first cell of each row of the table under `## Settings`."""
    section = CONFIGURATION.read_text().split("\n## Settings\n", 1)[1].split("\n## ", 1)[0]
    return [match.group(1) for line in section.splitlines() if (match := _ROW.match(line))]


@pytest.mark.parametrize("field", sorted(Settings.model_fields))
def test_every_setting_is_in_the_configuration_table(field: str) -> None:
    assert field.upper() in _settings_table_variables(), field.upper()


def test_the_configuration_table_names_only_settings() -> None:
    documented = _settings_table_variables()
    unknown = [name for name in documented if name.lower() not in Settings.model_fields]
    assert not unknown, f"not settings of service/settings.py: {unknown}"
    assert len(documented) == len(set(documented)), "a setting has two rows"
