"""The README's configuration table names every setting the service reads."""

from __future__ import annotations

from pathlib import Path

import pytest

from service.settings import Settings

README = Path(__file__).resolve().parents[2] / "README.md"


@pytest.mark.parametrize("field", sorted(Settings.model_fields))
def test_every_setting_is_in_the_readme_configuration_table(field: str) -> None:
    rows = [line for line in README.read_text().splitlines() if line.startswith("| `")]
    assert any(line.startswith(f"| `{field.upper()}`") for line in rows), field.upper()
