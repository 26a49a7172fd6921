"""The house's size limits: runtime modules <= 400 lines, functions <= 60, the README <= 300."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RUNTIME_PACKAGES = ("service", "workers")
MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 60


def _runtime_modules() -> Iterator[Path]:
    for package in RUNTIME_PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" not in path.parts:
                yield path


def _functions(tree: ast.AST) -> Iterator[ast.FunctionDef | ast.AsyncFunctionDef]:
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            yield node


def test_the_runtime_modules_are_found() -> None:
    assert len(list(_runtime_modules())) > 100


def test_no_runtime_module_is_over_400_lines() -> None:
    long = {
        str(path.relative_to(ROOT)): lines
        for path in _runtime_modules()
        if (lines := len(path.read_text().splitlines())) > MAX_MODULE_LINES
    }
    assert long == {}


def test_no_function_is_over_60_lines() -> None:
    long = {}
    for path in _runtime_modules():
        for function in _functions(ast.parse(path.read_text())):
            assert function.end_lineno is not None
            # From the `def` (decorators excluded) to the last line of the body.
            lines = function.end_lineno - function.lineno + 1
            if lines > MAX_FUNCTION_LINES:
                long[f"{path.relative_to(ROOT)}:{function.lineno} {function.name}"] = lines
    assert long == {}


def test_the_readme_is_a_front_door_of_at_most_300_lines() -> None:
    assert len((ROOT / "README.md").read_text().splitlines()) <= 300
