"""The `provisioner` command: up | serve | worker | beat | flower | migrate | token create."""

from __future__ import annotations

import contextlib
import gc
import logging
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import typer

from service.adapters.embedded import EmbeddedError, embedded_servers
from service.adapters.logs import configure_logging
from service.client.accounts import accounts_app
from service.client.clusters import clusters_app
from service.client.operations import ops_app
from service.client.queues import queues_app
from service.domain.roles import Role
from service.settings import Settings
from service.web.multiprocess import REUSE_PORT_ENV

app = typer.Typer(
    help="account-provisioner: asynchronous account provisioning with a Snowflake-style API.",
    no_args_is_help=True,
    add_completion=False,
)
token_app = typer.Typer(help="Manage API tokens.", no_args_is_help=True)
app.add_typer(token_app, name="token")
app.add_typer(accounts_app, name="accounts")
app.add_typer(ops_app, name="ops")
app.add_typer(clusters_app, name="clusters")
app.add_typer(queues_app, name="queues", help="Watch the queues and workers live, like `top`.")


def _settings() -> Settings:
    settings = Settings()
    configure_logging(settings.log_level, settings.log_format)
    return settings


def _say(message: str) -> None:
    typer.echo(f"provisioner: {message}", err=True)


@dataclass(frozen=True)
class _Urls:
    database: str  # the control database
    redis: str
    tenant: str | None  # the tenant cluster; None: the control database's server


@contextlib.contextmanager
def _servers(settings: Settings) -> Iterator[_Urls]:
    """The configured URLs, or embedded servers (started here) for whichever is unset. By
    default the accounts get an embedded cluster of their own, apart from the control one."""
    if settings.database_url and settings.redis_url:
        yield _Urls(settings.database_url, settings.redis_url, settings.tenant_database_url)
        return
    own_tenant_cluster = not settings.database_url and not settings.tenant_database_url
    with embedded_servers(settings.data_dir, tenant=own_tenant_cluster, progress=_say) as servers:
        yield _Urls(
            settings.database_url or servers.database_url,
            settings.redis_url or servers.redis_url,
            settings.tenant_database_url or servers.tenant_url or None,
        )


@app.command()
def up(
    port: Annotated[int | None, typer.Option(help="API port (default: API_PORT or 8080)")] = None,
    flower: Annotated[
        bool, typer.Option("--flower", help="Also run Flower (FLOWER_PORT, default 5555)")
    ] = False,
    tenant_clusters: Annotated[
        int,
        typer.Option(min=1, help="Tenant clusters (the worker's + N-1 embedded, DEFAULT_REGION)"),
    ] = 1,
) -> None:
    """Run everything: the API, a worker and beat, on embedded PostgreSQL/Redis by default."""
    from service.adapters.dev_token import ensure_dev_token
    from service.adapters.embedded_fleet import extra_tenant_clusters, register_extra_clusters
    from service.adapters.secret_key import secret_key
    from service.adapters.supervisor import CHILDREN, WITH_FLOWER, child_environments, supervise
    from service.domain.passwords import PasswordSeal
    from service.store.db import create_sync_engine
    from service.store.migrations import upgrade_to_head

    settings = _settings()
    if port is not None:
        settings = settings.model_copy(update={"api_port": port})
    try:
        with (
            _servers(settings) as urls,
            extra_tenant_clusters(settings.data_dir, tenant_clusters - 1, _say) as extra,
        ):
            _say("applying migrations")
            upgrade_to_head(urls.database)
            seal = PasswordSeal(secret_key(settings))
            region = settings.default_region
            register_extra_clusters(urls.database, seal, extra, region, urls.tenant)
            engine = create_sync_engine(urls.database)
            try:
                token = ensure_dev_token(engine, settings.data_dir)
            finally:
                engine.dispose()
            roles = WITH_FLOWER if flower else CHILDREN
            common = {
                "DATABASE_URL": urls.database,
                "REDIS_URL": urls.redis,
                "API_PORT": str(settings.api_port),
                "SECRET_KEY": secret_key(settings),
            }
            code = supervise(
                child_environments(roles, common, urls.tenant),
                _say,
                roles,
                started=lambda: _print_welcome(settings, token, flower=flower),
            )
    except EmbeddedError as exc:
        _say(str(exc))
        raise typer.Exit(2) from None
    _say("stopped")
    raise typer.Exit(code)


def _print_welcome(settings: Settings, token: str, *, flower: bool) -> None:
    base = f"http://{settings.api_host}:{settings.api_port}"
    flower_base = f"http://{settings.flower_address}:{settings.flower_port}"
    flower_line = f"  Flower:       {flower_base}\n" if flower else ""
    typer.echo(
        "\n"
        f"  API:          {base}  (worker and beat running; Ctrl-C stops everything)\n"
        f"{flower_line}"
        f"  admin token:  {token}\n"
        f"  saved in:     {settings.data_dir / 'dev-admin.token'}\n\n"
        "  try:\n"
        f"    curl -s -H 'Authorization: Bearer {token}' {base}/api/v2/accounts\n",
        err=True,
    )


@app.command()
def serve(
    workers: Annotated[
        int | None,
        typer.Option(min=1, help="API processes sharing the port (default: API_WORKERS or 1)"),
    ] = None,
    reuse_port: Annotated[bool, typer.Option(hidden=True, envvar=REUSE_PORT_ENV)] = False,
) -> None:
    """Run the HTTP API (needs DATABASE_URL and REDIS_URL)."""
    settings = _settings()
    count = settings.api_workers if workers is None else workers
    if not reuse_port:  # a `--workers` child: its parent checked; its siblings hold the port
        _check_port_free(settings.api_host, settings.api_port)
        _warn_if_superuser(settings)
    if count > 1:
        from service.adapters.secret_key import secret_key
        from service.web.multiprocess import serve_processes

        raise typer.Exit(serve_processes(count, secret_key(settings), _say))
    _run_api(settings, reuse_port=reuse_port)


def _run_api(settings: Settings, *, reuse_port: bool) -> None:
    import uvloop
    from aiohttp import web

    from service.web.access import access_logger_for
    from service.web.app import create_app

    app = create_app(settings)
    app.on_startup.append(_freeze_startup_objects)
    web.run_app(
        app,
        host=settings.api_host,
        port=settings.api_port,
        access_log_class=access_logger_for(settings.log_format),
        print=lambda message: _say(message.strip()),
        shutdown_timeout=10,
        reuse_port=reuse_port,
        loop=uvloop.new_event_loop(),
    )


async def _freeze_startup_objects(_: object) -> None:
    """What start-up built lives as long as the process: keep it out of the collector's full
    passes. Unfrozen, a full pass walked all ~150 000 objects every few seconds under load and
    stalled every request for 130-210 ms (most of the accept and poll p99)."""
    gc.collect()
    gc.freeze()


def _check_port_free(host: str, port: int) -> None:
    with socket.socket() as probe:
        if probe.connect_ex((host, port)) == 0:
            _say(f"{host}:{port} is already in use; set API_PORT or pass --port to `up`")
            raise typer.Exit(2)


def _warn_if_superuser(settings: Settings) -> None:
    if settings.database_url:
        from service.adapters.control_role import warn_if_superuser

        warn_if_superuser(settings.database_url)


@app.command()
def worker() -> None:
    """Run a Celery worker that executes operations (needs DATABASE_URL and REDIS_URL)."""
    from workers.app import run_worker

    settings = _settings()
    _warn_if_superuser(settings)
    run_worker(settings, hostname=f"provisioner@{socket.gethostname()}")


@app.command()
def beat() -> None:
    """Run Celery beat: the purge scan and the republish sweep on their intervals."""
    from workers.app import run_beat

    settings = _settings()
    _warn_if_superuser(settings)
    run_beat(settings)


@app.command("flower")
def flower_command(
    port: Annotated[
        int | None, typer.Option(help="Port of Flower's web UI (default: FLOWER_PORT or 5555)")
    ] = None,
    address: Annotated[
        str | None,
        typer.Option(help="Address to listen on (default: FLOWER_ADDRESS or 127.0.0.1)"),
    ] = None,
) -> None:
    """Run Flower, Celery's web monitor, on our workers (needs REDIS_URL and DATABASE_URL)."""
    from workers.app import run_flower

    settings = _settings()
    run_flower(
        settings,
        address=settings.flower_address if address is None else address,
        port=settings.flower_port if port is None else port,
    )


@app.command()
def migrate() -> None:
    """Apply database migrations up to the newest (needs DATABASE_URL)."""
    from service.store.migrations import upgrade_to_head

    settings = _settings()
    if not settings.database_url:
        _say("DATABASE_URL is not set")
        raise typer.Exit(2)
    upgrade_to_head(settings.database_url)
    _say("database is at the newest migration")


@app.command("secret-key")
def secret_key_command() -> None:
    """Print a new SECRET_KEY (the key that seals generated passwords)."""
    from service.domain.passwords import new_secret_key

    typer.echo(new_secret_key())


# The benchmark's options (`provisioner bench --help`).
PurgeAccounts = Annotated[
    int, typer.Option(help="Accounts past their grace period, purged by one scan")
]
PurgeTimeout = Annotated[
    float, typer.Option(help="Seconds the purge may take before it is reported unfinished")
]
WorkerOperations = Annotated[
    int, typer.Option(help="Operations each worker-scaling run (and Celery's) drains")
]
WorkerCounts = Annotated[
    str, typer.Option(help="Worker process counts to measure, comma-separated")
]
Latency = Annotated[float, typer.Option(help="Seconds each simulated provisioning step takes")]
Output = Annotated[Path, typer.Option(help="Where the JSON figures are written")]
Quick = Annotated[
    bool, typer.Option("--quick", help="A tiny run that checks the benchmark works (CI)")
]
Profile = Annotated[
    bool, typer.Option("--profile", help="Also profile accept and poll (cProfile; not measured)")
]
Only = Annotated[
    str,
    typer.Option(
        help="Measure only these sections, comma-separated: accept (and poll), workers, e2e, "
        "purge (and listing), graphql (vs the REST list), console (live feed), placement, "
        "usage (the scan); each brings the baselines its ratios need"
    ),
]
UsageAccounts = Annotated[int, typer.Option(help="Accounts of one cluster the usage scan reads")]
UsageDatabases = Annotated[int, typer.Option(help="Real databases the size query is timed over")]
Viewers = Annotated[int, typer.Option(help="Open streams of the console's live feed (2x duration)")]


@app.command()
def bench(  # noqa: PLR0917 - one parameter per command-line option
    ctx: typer.Context,
    duration: Annotated[float, typer.Option(help="Seconds each HTTP load is measured")] = 10.0,
    warmup: Annotated[float, typer.Option(help="Seconds of load before measuring")] = 2.0,
    connections: Annotated[int, typer.Option(help="Connections of the accept and poll loads")] = 64,
    accounts: Annotated[int, typer.Option(help="Accounts listed with a `like` filter")] = 100_000,
    purge_accounts: PurgeAccounts = 100_000,
    purge_timeout: PurgeTimeout = 3600.0,
    worker_operations: WorkerOperations = 3000,
    workers: WorkerCounts = "1,2,4",
    e2e_samples: Annotated[int, typer.Option(help="Creates timed end to end, one by one")] = 200,
    latency: Latency = 0.0,
    port: Annotated[int, typer.Option(help="Port for the API and the baseline apps")] = 18080,
    output: Output = Path("bench-results.json"),
    quick: Quick = False,
    profile: Profile = False,
    only: Only = "accept,workers,e2e,purge,graphql,console,placement,usage",
    usage_accounts: UsageAccounts = 100_000,
    usage_databases: UsageDatabases = 1000,
    viewers: Viewers = 100,
) -> None:
    """Measure the service against same-run baselines; print a table, write JSON.

    Servers: DATABASE_URL and REDIS_URL if both are set (in a scratch database), else embedded.

    Provisioning: the simulated driver.
    """
    from service.bench.figures import BenchOptions, parse_sections
    from service.bench.runner import run_and_report

    try:
        sections = parse_sections(only)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--only") from None
    # The options reach BenchOptions by their parameters' names, not listed here again.
    options = BenchOptions.from_command(ctx.params, sections)
    if quick:
        options = BenchOptions.quick(port=port, profile=profile, sections=sections)
    try:
        typer.echo(run_and_report(options, _settings(), output, _say))
    except EmbeddedError as exc:
        _say(str(exc))
        raise typer.Exit(2) from None


@token_app.command("create")
def token_create(
    org: Annotated[str, typer.Option(help="Organization name (created when missing)")],
    role: Annotated[Role, typer.Option(help="What the token may do")] = Role.VIEWER,
    description: Annotated[str, typer.Option(help="A note to recognise the token by")] = "",
) -> None:
    """Create an API token and print it (it is shown only this once)."""
    from sqlalchemy.orm import Session

    from service.store.db import create_sync_engine
    from service.store.tokens import ensure_organization, issue_token

    settings = _settings()
    if not settings.database_url:
        _say("DATABASE_URL is not set (tokens live in the control-plane database)")
        raise typer.Exit(2)
    engine = create_sync_engine(settings.database_url)
    try:
        with Session(engine) as session, session.begin():
            token = issue_token(session, ensure_organization(session, org), role, description)
    finally:
        engine.dispose()
    typer.echo(token)


def main() -> None:
    logging.captureWarnings(True)
    app()


if __name__ == "__main__":
    main()
