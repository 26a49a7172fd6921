"""Core statements run by asyncpg itself on the hot paths: compiled once, bound by name.

Every statement is a SQLAlchemy construct built on the models' tables (one way to write them,
see docs/architecture.md). The ORM session executes them everywhere but on the few paths every
request takes, where a session's overhead was most of the cost: there the same construct,
compiled once for asyncpg's dialect, runs on the plain pool (`HotPool`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import literal
from sqlalchemy.dialects.postgresql.asyncpg import dialect as asyncpg_dialect
from sqlalchemy.sql.expression import Executable

_DIALECT = asyncpg_dialect()  # type: ignore[no-untyped-call]


@dataclass(frozen=True)
class HotStatement:
    """SQL text with asyncpg's `$n` placeholders and the bind names they stand for, in order."""

    sql: str
    names: tuple[str, ...]

    def arguments(self, values: Mapping[str, Any]) -> list[Any]:
        """The positional arguments for `values` (every bind, by name)."""
        return [values[name] for name in self.names]


def compile_hot(statement: Executable) -> HotStatement:
    """Compile `statement` for asyncpg once. Binds marked `literal_execute` (constants such as
    a state list) are written into the SQL, so that PostgreSQL's cached generic plan can use a
    partial index whose predicate they are."""
    compiled = statement.compile(dialect=_DIALECT)  # type: ignore[attr-defined]
    # Values are bound at each execution; only the literal ones are needed to write the SQL.
    unbound = {name: None for name, bind in compiled.binds.items() if not bind.literal_execute}
    expanded = compiled.construct_expanded_state(unbound, escape_names=False)
    return HotStatement(expanded.statement, tuple(expanded.positiontup or ()))


def constant(value: object) -> Any:
    """`value` written into the statement's SQL rather than bound (a state, a kind, a number
    that never changes): one plan for every execution, and partial indexes stay usable."""
    return literal(value, literal_execute=True)
