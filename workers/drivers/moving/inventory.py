"""What an account's database holds, taken on the source and on the target to verify a copy.

Two parts: the objects (schemas, relations with their ACLs, constraints, functions, triggers,
types, extensions, sequences with their positions, default privileges), and for every table its
row count and an order-independent checksum of its rows (the sum of a 64-bit hash of each row's
text). Taken as a superuser, which bypasses row-level security and runs no tenant code: only
built-in output functions, no views, no triggers.
"""

from __future__ import annotations

from dataclasses import dataclass

from psycopg import sql

from workers.drivers.tenant_cluster import Connection

# A row's text depends on these settings; both sides are read with the same ones.
READ_OPTIONS = (
    "-c DateStyle=ISO,YMD -c IntervalStyle=postgres -c TimeZone=UTC -c extra_float_digits=1 "
    "-c bytea_output=hex -c lc_monetary=C -c search_path=pg_catalog"
)


def _user(schema: str) -> str:
    """The condition that `schema` (a column) names a schema of the tenant's."""
    return (
        f"{schema} NOT IN ('pg_catalog', 'information_schema') "
        f"AND {schema} NOT LIKE 'pg\\_toast%' AND {schema} NOT LIKE 'pg\\_temp\\_%'"
    )


_N = _user("n.nspname")
_OBJECTS = f"""
SELECT format('schema %I', n.nspname) FROM pg_namespace n WHERE {_N}
UNION ALL
SELECT format('relation %I.%I %s %s', n.nspname, c.relname, c.relkind, c.relacl)
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE {_N}
UNION ALL
SELECT format('constraint %I.%I %s', n.nspname, o.conname, o.contype)
FROM pg_constraint o JOIN pg_namespace n ON n.oid = o.connamespace WHERE {_N}
UNION ALL
SELECT format('function %I.%I(%s) %s', n.nspname, p.proname,
              pg_get_function_identity_arguments(p.oid), p.proacl)
FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE {_N}
UNION ALL
SELECT format('trigger %I on %I.%I', t.tgname, n.nspname, c.relname)
FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE NOT t.tgisinternal AND {_N}
UNION ALL
SELECT format('type %I.%I %s', n.nspname, t.typname, t.typtype)
FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
WHERE t.typtype IN ('d', 'e', 'r') AND {_N}
UNION ALL
SELECT format('extension %I', e.extname) FROM pg_extension e
UNION ALL
SELECT format('sequence %I.%I %s', s.schemaname, s.sequencename, s.last_value)
FROM pg_sequences s WHERE {_user("s.schemaname")}
UNION ALL
SELECT format('default privileges %s %s %s', pg_get_userbyid(d.defaclrole), d.defaclobjtype,
              d.defaclacl)
FROM pg_default_acl d
ORDER BY 1
"""  # noqa: S608 - built from constants
_TABLES = f"""
SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind = 'r' AND {_N} ORDER BY 1, 2
"""  # noqa: S608 - built from constants
# ROW(t.*) is the whole row even when a column is named like the alias.
_TABLE_SUM = (
    "SELECT count(*), coalesce(sum(hashtextextended(ROW(t.*)::text, 0)), 0)::text FROM {} AS t"
)


@dataclass(frozen=True)
class TableSum:
    table: str  # schema.table, quoted where needed
    rows: int
    checksum: str


@dataclass(frozen=True)
class Inventory:
    objects: tuple[str, ...]
    tables: tuple[TableSum, ...]

    @property
    def rows(self) -> int:
        return sum(table.rows for table in self.tables)

    def differences(self, other: Inventory) -> list[str]:
        """What `other` lacks or has in addition, by name (no row data)."""
        missing = sorted(set(self.objects) - set(other.objects))
        extra = sorted(set(other.objects) - set(self.objects))
        theirs = {table.table: table for table in other.tables}
        tables = [
            f"table {mine.table}: " + _table_difference(mine, theirs.get(mine.table))
            for mine in self.tables
            if theirs.get(mine.table) != mine
        ]
        return (
            [f"missing {item}" for item in missing] + [f"extra {item}" for item in extra] + tables
        )


def _table_difference(mine: TableSum, theirs: TableSum | None) -> str:
    if theirs is None:
        return "missing there"
    if theirs.rows != mine.rows:
        return f"{mine.rows} rows here, {theirs.rows} there"
    return f"{mine.rows} rows on both sides, with different contents"


def take_inventory(connection: Connection) -> Inventory:
    """The inventory of the database `connection` is on (opened with READ_OPTIONS)."""
    objects = tuple(str(row[0]) for row in connection.execute(_OBJECTS).fetchall())
    tables = []
    for schema, table in connection.execute(_TABLES).fetchall():
        name = sql.Identifier(str(schema), str(table))
        rows, checksum = connection.execute(sql.SQL(_TABLE_SUM).format(name)).fetchone() or (0, "")
        tables.append(TableSum(name.as_string(connection), int(str(rows)), str(checksum)))
    return Inventory(objects, tuple(tables))
