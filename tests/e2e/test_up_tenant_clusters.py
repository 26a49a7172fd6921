"""`provisioner up --tenant-clusters 3`: three embedded tenant clusters in the fleet, and
accounts spread over them."""

from __future__ import annotations

import signal
from collections import Counter
from pathlib import Path

import psycopg

from tests.e2e.test_provisioner_up import (
    _call,
    _wait_done,
    private_data_dir,
    start_up,
    wait_ready,
)

__all__ = ["private_data_dir"]


def test_up_starts_and_registers_n_tenant_clusters_and_spreads_accounts_over_them(
    private_data_dir: Path, tmp_path: Path
) -> None:
    process, base, log = start_up(private_data_dir, tmp_path, "--tenant-clusters", "3")
    try:
        wait_ready(process, base, log)
        token = (private_data_dir / "dev-admin.token").read_text().strip()
        locations = []
        for number in range(6):
            body = {"name": f"spread_{number}", "admin_name": "admin", "email": "a@example.com",
                    "edition": "STANDARD"}  # fmt: skip
            status, headers, _ = _call("POST", f"{base}/api/v2/accounts", token, body)
            assert status == 202
            locations.append(headers["Location"])
        ports: Counter[int] = Counter()
        for location in locations:
            status, result = _wait_done(base, location, token)
            assert status == 200, result
            credentials = result["credentials"]
            ports[credentials["port"]] += 1
            with psycopg.connect(credentials["url"], password=credentials["password"]) as login:
                login.execute("SELECT 1")
        status, _, clusters = _call("GET", f"{base}/api/v2/clusters", token)
        assert status == 200
        assert sorted(cluster["name"] for cluster in clusters) == [
            "default",
            "tenant-2",
            "tenant-3",
        ]
        assert len({cluster["region"] for cluster in clusters}) == 1
        assert [cluster["placed_accounts"] for cluster in clusters] == [2, 2, 2]
        assert sorted(ports.values()) == [2, 2, 2]  # three clusters, three ports
    finally:
        process.send_signal(signal.SIGTERM)
        exit_code = process.wait(60)
    assert exit_code == 0, log.read_text()[-3000:]
