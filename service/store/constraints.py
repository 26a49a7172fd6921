"""Which database constraint a write violated, whatever the driver."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from sqlalchemy.exc import IntegrityError


def violated_constraint(error: IntegrityError) -> str | None:
    original = error.orig
    # psycopg exposes diagnostics; asyncpg's error is the cause of SQLAlchemy's adapter error.
    diag = getattr(original, "diag", None)
    if diag is not None and getattr(diag, "constraint_name", None):
        return str(diag.constraint_name)
    cause = getattr(original, "__cause__", None)
    name = getattr(cause, "constraint_name", None)
    return str(name) if name else None


def _named(error: IntegrityError) -> str:
    """The constraint `error` names; an error that names none is raised again."""
    constraint = violated_constraint(error)
    if constraint is None:
        raise error
    return constraint


async def unique_index_met(write: Callable[[], Awaitable[object]]) -> str | None:
    """Run `write`: None when it wrote, else the name of the constraint it violated."""
    try:
        await write()
    except IntegrityError as exc:
        return _named(exc)
    return None


def unique_index_met_now(write: Callable[[], object]) -> str | None:
    """`unique_index_met` for a synchronous session (workers, beat)."""
    try:
        write()
    except IntegrityError as exc:
        return _named(exc)
    return None
