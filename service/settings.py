"""The one place that reads configuration: a frozen Settings built at each entry point."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import (
    ByteSize,
    Field,
    NonNegativeFloat,
    PositiveFloat,
    SecretStr,
    model_validator,
)
from pydantic_settings import BaseSettings, SettingsConfigDict

from service.domain.plans import PlanLimits, plan_table
from service.domain.schemas import Edition

LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR"]
LogFormat = Literal["auto", "json", "console"]
# The bounds several settings share, each written once (pydantic's PositiveFloat: a wait or
# an interval; NonNegativeFloat: a rate or a wait that 0 turns off).
Port = Annotated[int, Field(ge=0, le=65535)]
AtLeastOne = Annotated[int, Field(ge=1)]


class Settings(BaseSettings):
    """Every setting comes from an environment variable of the same name (upper case)."""

    model_config = SettingsConfigDict(frozen=True, env_file=None, extra="ignore")

    database_url: str | None = Field(
        None,
        description="PostgreSQL URL of the control-plane database; unset = embedded PostgreSQL",
    )
    redis_url: str | None = Field(
        None, description="Redis URL used as the Celery broker; unset = embedded Redis"
    )
    data_dir: Path = Field(
        Path(".provisioner"),
        description="Folder of the embedded servers' data, ports and passwords",
    )
    api_host: str = "127.0.0.1"
    api_port: Port = 8080
    api_workers: AtLeastOne = Field(
        1, description="API processes `serve` runs on the one port (SO_REUSEPORT)"
    )
    log_level: LogLevel = "INFO"
    log_format: LogFormat = Field(
        "auto",
        description="`json`: one JSON object per line; `console`: aligned, readable lines; "
        "`auto`: console lines when stderr is a terminal, else JSON",
    )
    flower_address: str = Field(
        "127.0.0.1",
        description="Address `provisioner flower` listens on (Flower has no login: keep it "
        "on loopback or behind a proxy that has one)",
    )
    flower_port: Port = 5555
    task_events: bool = Field(
        False,
        description="Workers send Celery task events from the start (Flower turns them on "
        "by itself while it runs; they cost each task three Redis publishes)",
    )

    purge_interval_seconds: PositiveFloat = 60.0
    purge_rate_per_second: NonNegativeFloat = Field(
        1000.0,
        description="Ceiling on purges per second across all workers (a token bucket in Redis), "
        "so a mass expiry leaves the API its share of CPU and database (0: no ceiling)",
    )
    purge_min_rate_per_second: NonNegativeFloat = Field(
        50.0,
        description="Floor the purge rate yields down to while the API is slow "
        "(PURGE_YIELD_RATIO); at PURGE_RATE_PER_SECOND it never yields",
    )
    purge_niceness: int = Field(
        10,
        ge=0,
        le=19,
        description="Purge batches run on a thread this many steps nicer than the worker "
        "process (Linux), so the API and the worker's other tasks get the cores first (0: off)",
    )
    purge_yield_ratio: float = Field(
        1.5,
        gt=1,
        description="Purges halve their rate (each second, down to PURGE_MIN_RATE_PER_SECOND) "
        "while an API process's foreground probe is slower than this many times its baseline, "
        "and climb back to PURGE_RATE_PER_SECOND in 10 s once it is not",
    )
    republish_after_seconds: PositiveFloat = Field(
        30.0, description="A queued operation older than this is published again"
    )
    stranded_after_seconds: PositiveFloat = Field(
        120.0,
        description="A running operation whose worker is gone (row unlocked) and that was "
        "claimed longer ago than this is published again. Keep it above the longest retry "
        "backoff (60 s), or operations waiting out a backoff re-run early (harmless)",
    )
    cluster_probe_interval_seconds: PositiveFloat = Field(
        5.0,
        description="How often beat probes the tenant clusters last seen down; one that "
        "answers gets its held-off operations published again at once",
    )
    worker_concurrency: AtLeastOne = 2
    task_time_limit_seconds: AtLeastOne = 600
    visibility_timeout_seconds: AtLeastOne = 3600
    max_attempts: AtLeastOne = 5
    queue_name: str = "provisioner"

    driver: Literal["postgres", "simulated"] = Field(
        "postgres", description="`postgres`: real tenant databases; `simulated`: no effects"
    )
    tenant_database_url: str | None = Field(
        None,
        description="Superuser-capable URL of the tenant cluster; unset = the DATABASE_URL server",
    )
    tenant_public_host: str | None = Field(
        None, description="Host put in connection URLs handed to customers"
    )
    tenant_public_port: int | None = Field(None, ge=1, le=65535)
    edition_connection_limits: dict[str, int] = Field(
        {"STANDARD": 10, "ENTERPRISE": 50, "BUSINESS_CRITICAL": 200},
        description="Connections an account's login may hold at once, by edition (JSON object)",
    )
    edition_storage_limits: dict[str, ByteSize] = Field(
        {
            "STANDARD": ByteSize(1 << 30),
            "ENTERPRISE": ByteSize(10 << 30),
            "BUSINESS_CRITICAL": ByteSize(100 << 30),
        },
        description="Bytes an account's database may hold, by edition (JSON object; numbers "
        'or sizes such as "500MiB", "10GiB")',
    )
    storage_limit_action: Literal["flag", "suspend"] = Field(
        "flag",
        description="Over its storage limit an account is flagged (`flag`), or flagged and "
        "its logins suspended until its plan is raised or an admin re-enables it (`suspend`)",
    )
    metrics_token: SecretStr | None = Field(
        None,
        description="When set, `GET /metrics` requires `Authorization: Bearer <METRICS_TOKEN>`",
    )
    usage_scan_interval_seconds: PositiveFloat = Field(
        60.0, description="How often beat measures every account's usage"
    )
    secret_key: SecretStr | None = Field(
        None, description="Fernet key sealing new passwords; unset = DATA_DIR/secret.key"
    )
    tenant_statement_timeout_seconds: PositiveFloat = 30.0
    simulated_latency_seconds: NonNegativeFloat = 0.0
    simulated_latency_pattern: str = Field(
        "", description="Regex on `kind:NAME`; when set, only matching steps wait the latency"
    )
    simulated_failure_pattern: str = Field(
        "", description="Regex on `kind:NAME` (e.g. `^create:FAIL_`); matching steps fail for good"
    )

    fleet_organizations: tuple[str, ...] = Field(
        ("DEV_ORG",),
        description="Organizations whose admin tokens may manage the tenant clusters "
        "(`/api/v2/clusters`; a JSON array; `[]`: every organization's admins)",
    )
    default_region: str = "AWS_US_WEST_2"
    regions: tuple[str, ...] = ("AWS_US_WEST_2", "AWS_US_EAST_1", "AWS_EU_CENTRAL_1")
    region_group: str = "PUBLIC"
    account_url_domain: str = "accounts.provisioner.invalid"
    db_pool_size: AtLeastOne = 10
    rate_limit_per_second: NonNegativeFloat = Field(
        20.0, description="Requests per second per token (0: no limit)"
    )
    rate_limit_burst: AtLeastOne = Field(100, description="Requests a token may burst")
    token_cache_seconds: NonNegativeFloat = Field(
        30.0,
        description="How long an API process trusts a token it looked up (dropped at once "
        "when its row changes, e.g. revoked; 0: look every token up on each request)",
    )
    db_timeout_seconds: PositiveFloat = Field(
        5.0, description="Longest wait for a database connection; then the API answers 503"
    )

    @model_validator(mode="after")
    def _consistent(self) -> Settings:
        if self.default_region not in self.regions:
            raise ValueError(f"DEFAULT_REGION {self.default_region} is not one of REGIONS")
        for name, table in (
            ("EDITION_CONNECTION_LIMITS", self.edition_connection_limits),
            ("EDITION_STORAGE_LIMITS", self.edition_storage_limits),
        ):
            missing = {edition.value for edition in Edition} - set(table)
            if missing:
                raise ValueError(f"{name} lacks {', '.join(sorted(missing))}")
        return self

    def plans(self) -> dict[Edition, PlanLimits]:
        """Every edition's limits (the plan table `GET /api/v2/editions` shows)."""
        storage = {name: int(size) for name, size in self.edition_storage_limits.items()}
        return plan_table(self.edition_connection_limits, storage)

    def tenant_url(self) -> str | None:
        return self.tenant_database_url or self.database_url
