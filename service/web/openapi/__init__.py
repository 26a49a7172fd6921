"""The service's OpenAPI 3.1 document, shipped in the package as `openapi.json`."""

from __future__ import annotations

import functools
import json
from importlib import resources
from typing import Any

SPEC_FILE = "openapi.json"


def load_spec() -> dict[str, Any]:
    """The document as a dict (a fresh copy: callers may change it)."""
    spec: dict[str, Any] = json.loads(spec_bytes())
    return spec


@functools.cache
def spec_bytes() -> bytes:
    """The document as compact JSON, read from the package once."""
    text = resources.files(__name__).joinpath(SPEC_FILE).read_text(encoding="utf-8")
    return json.dumps(json.loads(text), ensure_ascii=False, separators=(",", ":")).encode()
