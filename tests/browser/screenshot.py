"""Refresh docs/console-overview.png: the console's overview over a real stack, with some work.

    .venv/bin/python -m tests.browser.screenshot [OUTPUT]

Starts embedded PostgreSQL and Redis, a worker and `provisioner serve` (as the tests do), creates
and drops a few accounts while the overview is open, then saves the page at 1280 px wide.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
import uuid
from pathlib import Path

from playwright.sync_api import sync_playwright

from service.domain.roles import Role
from service.settings import Settings
from service.store.db import create_sync_engine
from service.store.migrations import upgrade_to_head
from tests.browser.chromium import CHROMIUM, LAUNCH_ARGS, ensure_chromium
from tests.browser.console import create_account, drop_account, sign_in, unique, wait_done
from tests.conftest import make_tenant, service_env
from tests.faults.stack import free_port
from tests.processes import start_service
from tests.servers import real_servers

OUTPUT = Path(__file__).resolve().parents[2] / "docs" / "console-overview.png"
WATCH_SECONDS = 30.0


def _work(base_url: str, token: str) -> None:
    """A few accounts, two dropped (so purges are scheduled)."""
    names = [unique("DEMO") for _ in range(4)]
    for name in names:
        wait_done(base_url, token, create_account(base_url, token, name))
    for name, days in zip(names[:2], (3, 10), strict=True):
        drop_account(base_url, token, name, days)


def _shoot(base_url: str, token: str, output: Path) -> None:
    with sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        sign_in(page, base_url, token)
        ends = time.monotonic() + WATCH_SECONDS
        while time.monotonic() < ends:  # a trickle of creates: the sparklines move
            create_account(base_url, token, unique("DEMO"))
            page.wait_for_timeout(3000)
        page.screenshot(path=str(output), full_page=True)
        browser.close()


def main(output: Path) -> None:
    missing = ensure_chromium()
    if missing is not None:
        raise SystemExit(f"screenshot: {missing}")
    data_dir = Path(tempfile.mkdtemp(prefix="console-screenshot-"))
    data_dir.chmod(0o755)
    try:
        with real_servers(data_dir) as servers:
            upgrade_to_head(servers.database_url)
            settings = Settings(
                database_url=servers.database_url,
                redis_url=servers.redis_url,
                tenant_database_url=servers.tenant_url,
                data_dir=data_dir / "data",
                queue_name=f"console-screenshot-{uuid.uuid4().hex[:8]}",
                driver="postgres",
                rate_limit_per_second=0,
            )
            port = free_port()
            env = {**service_env(settings), "API_PORT": str(port)}
            worker = start_service("worker", env, data_dir, " ready.")
            api = start_service("serve", env, data_dir, "Running on")
            try:
                engine = create_sync_engine(servers.database_url)
                token = make_tenant(engine).tokens[Role.ADMIN]
                engine.dispose()
                base_url = f"http://127.0.0.1:{port}"
                _work(base_url, token)
                _shoot(base_url, token, output)
            finally:
                api.stop()
                worker.stop()
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)
    print(f"screenshot: wrote {output}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else OUTPUT)
