"""`provisioner up` from a bare environment: real accounts one logs into, and a clean stop."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from service.adapters.embedded import RUNTIME_ROOT
from tests.processes import wait_until_ready

START_TIMEOUT_SECONDS = 60.0


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _call(method: str, url: str, token: str, body: Any = None) -> tuple[int, dict[str, str], Any]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method)  # noqa: S310 - loopback URL
    request.add_header("Authorization", f"Bearer {token}")
    request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return response.status, dict(response.headers), json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), json.loads(error.read())


def _processes_mentioning(text: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            state = (entry / "stat").read_text().split(")")[-1].split()[0]
        except OSError:
            continue
        if text in cmdline and state != "Z":
            found.append(int(entry.name))
    return found


@pytest.fixture
def private_data_dir(tmp_path: Path) -> Iterator[Path]:
    """A DATA_DIR inside a private (0700) folder, like a project checked out under /root."""
    data_dir = tmp_path / "data"
    yield data_dir
    if data_dir.joinpath("postgres").is_symlink():
        shutil.rmtree(data_dir.joinpath("postgres").resolve().parent, ignore_errors=True)


def _child_environment(parent: int, role: str) -> dict[str, str]:
    """The environment `provisioner up` (pid `parent`) gave its `role` child."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            ppid = int((entry / "stat").read_text().split(")")[-1].split()[1])
            argv = (entry / "cmdline").read_bytes().rstrip(b"\0").split(b"\0")
            environ = (entry / "environ").read_bytes().split(b"\0")
        except OSError:
            continue
        if ppid == parent and argv[-2:] == [b"service.cli", role.encode()]:
            pairs = (item.decode().partition("=") for item in environ if b"=" in item)
            return {name: value for name, _, value in pairs}
    raise AssertionError(f"no `{role}` child of {parent}")


def _assert_control_plane_apart(data_dir: Path, up_pid: int, credentials: dict[str, Any]) -> None:
    """Accounts on the tenant cluster, the control database on another server, reached as a
    role that is not a superuser; only the worker holds the tenant cluster's URL."""
    api, worker = _child_environment(up_pid, "serve"), _child_environment(up_pid, "worker")
    control = psycopg.conninfo.conninfo_to_dict(api["DATABASE_URL"])
    account = psycopg.conninfo.conninfo_to_dict(credentials["url"])
    tenant_port = (data_dir / "tenant-postgresql.port").read_text().strip()
    assert account["port"] == tenant_port
    assert control["port"] == (data_dir / "postgresql.port").read_text().strip()
    assert control["port"] != account["port"]
    with psycopg.connect(api["DATABASE_URL"]) as connection:
        row = connection.execute(
            "SELECT current_user, rolsuper FROM pg_roles WHERE rolname = current_user"
        ).fetchone()
        assert row == ("provisioner", False)
        databases = connection.execute("SELECT datname FROM pg_database").fetchall()
        assert (credentials["database"],) not in databases
    assert "TENANT_DATABASE_URL" not in api
    assert psycopg.conninfo.conninfo_to_dict(worker["TENANT_DATABASE_URL"])["port"] == tenant_port
    with psycopg.connect(worker["TENANT_DATABASE_URL"]) as connection:
        row = connection.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", (credentials["database"],)
        ).fetchone()
        assert row == (1,)


def start_up(
    data_dir: Path, tmp_path: Path, *args: str, **variables: str
) -> tuple[subprocess.Popen[bytes], str, Path]:
    """`provisioner up ARGS` on a free port with DATA_DIR (and `variables`): the process, the
    API's base URL and the log file."""
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    env.update(DATA_DIR=str(data_dir), API_PORT=str(port), **variables)
    log = tmp_path / "up.log"
    executable = Path(sys.executable).with_name("provisioner")
    with log.open("wb") as out:
        process = subprocess.Popen([str(executable), "up", *args], env=env, stdout=out, stderr=out)
    return process, f"http://127.0.0.1:{port}", log


def wait_ready(process: subprocess.Popen[bytes], base: str, log: Path) -> None:
    alive = lambda: process.poll() is None  # noqa: E731 - a one-line predicate
    if not wait_until_ready(base, timeout=START_TIMEOUT_SECONDS, alive=alive):
        raise AssertionError(f"provisioner up did not get ready:\n{log.read_text()[-3000:]}")


def _wait_done(base: str, location: str, token: str) -> tuple[int, Any]:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        status, _, body = _call("GET", base + location, token)
        if status != 202:
            return status, body
        time.sleep(0.1)
    raise AssertionError(f"{location} still pending")


def test_up_serves_the_walkthrough_apart_from_the_control_plane_and_stops_cleanly(
    private_data_dir: Path, tmp_path: Path
) -> None:
    process, base, log = start_up(private_data_dir, tmp_path, PURGE_INTERVAL_SECONDS="1")
    try:
        wait_ready(process, base, log)
        token = (private_data_dir / "dev-admin.token").read_text().strip()
        assert token in log.read_text()  # printed for the user, with a curl line
        body = {
            "name": "e2e_acct",
            "admin_name": "admin",
            "email": "a@example.com",
            "edition": "STANDARD",
        }
        status, headers, _ = _call("POST", f"{base}/api/v2/accounts", token, body)
        assert status == 202
        status, result = _wait_done(base, headers["Location"], token)
        assert (status, result["status"]) == (200, "Request successfully completed")
        credentials = result["credentials"]
        _assert_control_plane_apart(private_data_dir, process.pid, credentials)
        # The generated password is handed over once; later reads show null.
        assert _wait_done(base, headers["Location"], token)[1]["credentials"]["password"] is None
        with psycopg.connect(credentials["url"], password=credentials["password"]) as login:
            login.execute("CREATE TABLE notes (body text)")
            login.execute("INSERT INTO notes VALUES ('kept')")

        status, headers, _ = _call(
            "DELETE", f"{base}/api/v2/accounts/e2e_acct?gracePeriodInDays=3", token
        )
        assert status == 202
        assert _wait_done(base, headers["Location"], token)[0] == 200
        status, _, rows = _call("GET", f"{base}/api/v2/accounts?history=true", token)
        assert [(r["name"], r["state"]) for r in rows] == [("E2E_ACCT", "DROPPED")]
        with pytest.raises(psycopg.OperationalError, match="not permitted to log in"):
            psycopg.connect(credentials["url"], password=credentials["password"])

        status, headers, _ = _call("POST", f"{base}/api/v2/accounts/e2e_acct:undrop", token)
        assert _wait_done(base, headers["Location"], token)[0] == 200
        with psycopg.connect(credentials["url"], password=credentials["password"]) as login:
            assert login.execute("SELECT body FROM notes").fetchall() == [("kept",)]
    finally:
        process.send_signal(signal.SIGTERM)
        exit_code = process.wait(60)
    assert exit_code == 0, log.read_text()[-3000:]
    assert "stopped" in log.read_text()
    assert _processes_mentioning(str(private_data_dir)) == []
    pgdata = (private_data_dir / "postgres").resolve()
    assert _processes_mentioning(str(pgdata)) == []
    assert _processes_mentioning(str((private_data_dir / "tenant-postgres").resolve())) == []
    if os.geteuid() == 0:
        assert pgdata.is_relative_to(RUNTIME_ROOT)  # private folder: data kept where PG can reach
