"""The docs page loads only files this service serves: it works offline."""

from __future__ import annotations

import re
from pathlib import Path

from swagger_ui_bundle import swagger_ui_path

from service.web.docs import PAGE, STATIC_FILES


def test_the_page_loads_nothing_from_elsewhere() -> None:
    assert not re.search(r"(?:src|href|url)\s*[=:]\s*\"(?:https?:)?//", PAGE)
    assert "validatorUrl: null" in PAGE


def test_every_file_the_page_loads_is_served_and_shipped() -> None:
    loaded = set(re.findall(r"docs/static/([\w.-]+)", PAGE))
    assert loaded <= set(STATIC_FILES)
    for filename in STATIC_FILES:
        assert (Path(swagger_ui_path) / filename).is_file(), filename
