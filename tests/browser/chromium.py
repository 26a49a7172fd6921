"""Debian's Chromium for Playwright (its own browser download is not reachable here): found, or
installed with apt once, or a clear reason why not."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

CHROMIUM = Path("/usr/bin/chromium")
# As root (CI, the sandbox) Chromium's own sandbox cannot start.
LAUNCH_ARGS = ["--no-sandbox", "--disable-dev-shm-usage"]
INSTALL_TIMEOUT_SECONDS = 900


def ensure_chromium() -> str | None:
    """The browser's path, or why there is none (apt missing or failing)."""
    if CHROMIUM.exists():
        return None
    if shutil.which("apt-get") is None:
        return f"{CHROMIUM} is missing and apt-get is not available to install it"
    env = {"DEBIAN_FRONTEND": "noninteractive", "PATH": "/usr/sbin:/usr/bin:/sbin:/bin"}
    for command in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", "chromium"]):
        done = subprocess.run(
            command,
            env=env,
            capture_output=True,
            text=True,
            timeout=INSTALL_TIMEOUT_SECONDS,
            check=False,
        )
        if done.returncode != 0:
            return f"`{' '.join(command)}` failed: {done.stderr.strip()[-500:]}"
    return None if CHROMIUM.exists() else f"apt installed chromium but {CHROMIUM} is missing"
