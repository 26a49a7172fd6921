"""The whole system laid out over hosts: which host runs what, with which settings, and in which
order it starts and stops.

| host       | runs                                              |
| ---------- | ------------------------------------------------- |
| `data`     | Redis and the control PostgreSQL                  |
| `tenant1`  | a tenant PostgreSQL cluster, region A             |
| `tenant2`  | a tenant PostgreSQL cluster, region B             |
| `api`      | `provisioner serve` and `provisioner beat`        |
| `worker1`  | `provisioner worker`                              |
| `worker2`  | `provisioner worker`                              |
| `client`   | the test: HTTP calls, tenant logins, checks       |

Tenant clusters are a table (`TENANT_HOSTS`, each in a region), registered from the `client`
host as an operator would: `provisioner clusters add HOST --region R --url … --public-host
<HOST's address>` for each. The workers' `TENANT_DATABASE_URL` must name some server (else it is
the control database's): it is tenant1's, so the cluster `default` the workers register at start
is tenant1 under another name; the operator drains it (`provisioner clusters drain default`:
a later worker start keeps that state), so every account is placed on a cluster registered by
name, by region.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

from pydantic import SecretStr
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from service.adapters.control_role import CONTROL_DATABASE, CONTROL_ROLE, ensure_control_role
from service.adapters.processes import Child, stop_at_once
from service.domain.clusters import DEFAULT_CLUSTER
from service.domain.passwords import new_secret_key
from service.domain.roles import Role
from service.settings import Settings
from service.store.db import create_sync_engine
from service.store.migrations import upgrade_to_head
from service.store.tokens import ensure_organization, issue_token
from tests.conftest import service_env
from tests.multihost.network import Network
from tests.multihost.servers import (
    POSTGRES_PORT,
    run_cli,
    start_postgres,
    start_redis,
    start_role,
    wait_api,
)

# Host name -> last byte of its address.
HOSTS = {
    "api": 2,
    "worker1": 11,
    "worker2": 12,
    "data": 20,
    "tenant1": 31,
    "tenant2": 32,
    "client": 100,
}
WORKER_HOSTS = ("worker1", "worker2")
TENANT_HOSTS = {"tenant1": "AWS_US_WEST_2", "tenant2": "AWS_EU_CENTRAL_1"}  # host -> region
BOOTSTRAP = "tenant1"  # the server the workers' TENANT_DATABASE_URL names
API_PORT = 8080
# Creates of accounts named like this wait in the worker (holding their operation) before they
# touch the tenant cluster: operations that are surely in flight when a cable is cut.
SLOW_PREFIX = "MH_SLOW_"
SLOW_SECONDS = 2.0
STOP_SECONDS = 20.0
CAPACITY = 100  # accounts a registered cluster may hold (the run makes 20 in each)
ORGANIZATION = "MULTIHOST"  # its admins manage the fleet (FLEET_ORGANIZATIONS)


@dataclass
class Deployment:
    network: Network
    base_url: str
    token: str
    engine: Engine  # the control database, as the control role; use it inside `client`
    tenant_urls: dict[str, str]  # tenant host (= its cluster's name) -> its superuser URL
    logs: Path
    children: dict[str, Child] = field(default_factory=dict)

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def log(self, host: str) -> str:
        """What `provisioner worker` (or the API) on `host` wrote so far."""
        return self.children[host].output()


def _settings(network: Network, urls: dict[str, str], work: Path) -> Settings:
    return Settings(
        database_url=urls["control"],
        redis_url=urls["redis"],
        tenant_database_url=urls[BOOTSTRAP],
        tenant_public_host=network.address(BOOTSTRAP),
        default_region=TENANT_HOSTS[BOOTSTRAP],
        fleet_organizations=(ORGANIZATION,),
        data_dir=work,
        api_host=network.address("api"),
        api_port=API_PORT,
        secret_key=SecretStr(new_secret_key()),  # every host must unseal what the API sealed
        driver="postgres",
        log_format="json",
        rate_limit_per_second=0,  # one client sends the whole run's creates at once
        simulated_latency_seconds=SLOW_SECONDS,
        simulated_latency_pattern=f"^create:{SLOW_PREFIX}",
    )


def _control_plane(network: Network, admin_url: str) -> tuple[str, Engine, str]:
    """The control role, the schema and an admin token, made from the client host."""
    password = uuid.uuid4().hex
    server = admin_url.rsplit("/", 1)[0]
    host = network.address("data")
    url = f"postgresql://{CONTROL_ROLE}:{quote(password)}@{host}:{POSTGRES_PORT}/"
    url += CONTROL_DATABASE
    with network.inside("client"):
        ensure_control_role(server, password)
        upgrade_to_head(url)
        engine = create_sync_engine(url)
        with Session(engine) as session, session.begin():
            organization = ensure_organization(session, ORGANIZATION)
            token = issue_token(session, organization, Role.ADMIN, "multi-host run")
    return url, engine, token


def _start_roles(network: Network, settings: Settings, work: Path, logs: Path) -> dict[str, Child]:
    """Workers first (they wait for messages), then beat and the API beside it."""
    started: dict[str, Child] = {}
    try:
        for host, role, ready in [
            *[(worker, "worker", " ready.") for worker in WORKER_HOSTS],
            ("beat", "beat", "beat: Starting"),
            ("api", "serve", "Running on"),
        ]:
            place = "api" if host == "beat" else host
            env = service_env(settings) | {"DATA_DIR": str(work / host)}
            started[host] = start_role(network, place, role, env, logs / f"{host}.log", ready)
        wait_api(network, f"http://{network.address('api')}:{API_PORT}", started["api"])
    except BaseException:
        stop_at_once(list(started.values()), STOP_SECONDS)
        raise
    return started


def _register_fleet(network: Network, base_url: str, token: str, urls: dict[str, str]) -> None:
    """Each tenant host added as the cluster of its region, and `default` drained, with the
    CLI on the client host (the API probes each URL from the API host)."""
    env = {"PROVISIONER_URL": base_url, "PROVISIONER_TOKEN": token}
    for host, url in urls.items():
        add = ["clusters", "add", host, "--region", TENANT_HOSTS[host]]
        add += ["--public-host", network.address(host), "--public-port", str(POSTGRES_PORT)]
        run_cli(network, "client", [*add, "--capacity", str(CAPACITY)], env | {"CLUSTER_URL": url})
    run_cli(network, "client", ["clusters", "drain", DEFAULT_CLUSTER], env)


@contextlib.contextmanager
def deployed(work: Path) -> Iterator[Deployment]:
    """Hosts, servers and roles up; everything stopped and every namespace removed at the end,
    whatever happens (a child left behind dies with us: parent-death signal)."""
    network = Network(dict(HOSTS))
    logs = work / "logs"
    logs.mkdir(parents=True)
    with contextlib.ExitStack() as stack:
        stack.callback(network.remove)
        network.create()
        servers: list[Child] = []
        stack.callback(lambda: stop_at_once(servers, STOP_SECONDS))
        urls: dict[str, str] = {}
        postgres, admin_url = start_postgres(network, "data", work / "data" / "postgres")
        servers.append(postgres)
        redis, urls["redis"] = start_redis(network, "data", work / "data" / "redis")
        servers.append(redis)
        for host in TENANT_HOSTS:
            child, urls[host] = start_postgres(network, host, work / host)
            servers.append(child)
        urls["control"], engine, token = _control_plane(network, admin_url)
        stack.callback(engine.dispose)
        roles = _start_roles(network, _settings(network, urls, work), work, logs)
        stack.callback(lambda: stop_at_once(list(roles.values()), STOP_SECONDS))
        base_url = f"http://{network.address('api')}:{API_PORT}"
        _register_fleet(network, base_url, token, {host: urls[host] for host in TENANT_HOSTS})
        yield Deployment(
            network,
            base_url,
            token,
            engine,
            {host: urls[host] for host in TENANT_HOSTS},
            logs,
            roles,
        )
