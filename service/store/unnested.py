"""Many rows as one statement's input: one array parameter per field of a dataclass, unnested.

However many rows there are, the statement and its parameters stay the same (one array each),
so a statement compiled or prepared once serves every batch.
"""

from __future__ import annotations

from dataclasses import fields
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    Select,
    Text,
    Uuid,
    bindparam,
    column,
    func,
    select,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.sql.type_api import TypeEngine

# The fields' annotations (strings: postponed evaluation), without `| None`, as SQL types.
_SQL_TYPES: dict[str, TypeEngine[Any]] = {
    "int": BigInteger(),
    "str": Text(),
    "bool": Boolean(),
    "uuid.UUID": Uuid(),
    "datetime": DateTime(timezone=True),
}


class Unnested:
    """The rows of dataclass `row_type` as a derived table `item`, its columns the fields."""

    def __init__(self, row_type: type) -> None:
        self.names = [field.name for field in fields(row_type)]
        typed = [
            (field.name, _SQL_TYPES[str(field.type).removesuffix(" | None")])
            for field in fields(row_type)
        ]
        self.select: Select[Any] = select(
            func.unnest(*(bindparam(name, type_=ARRAY(kind)) for name, kind in typed))
            .table_valued(*(column(name, kind) for name, kind in typed))
            .render_derived(name="item")
        )

    def arrays(self, rows: list[Any]) -> dict[str, list[Any]]:
        """The statement's parameters for `rows`: one list per column."""
        return {name: [getattr(row, name) for row in rows] for name in self.names}
