"""The one place that reads configuration: a frozen Settings built at each entry point."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR"]


class Settings(BaseSettings):
    """Every setting comes from an environment variable of the same name (upper case)."""

    model_config = SettingsConfigDict(frozen=True, env_file=None, extra="ignore")

    database_url: str | None = Field(
        default=None,
        description="PostgreSQL URL of the control-plane database; unset = embedded PostgreSQL",
    )
    redis_url: str | None = Field(
        default=None, description="Redis URL used as the Celery broker; unset = embedded Redis"
    )
    data_dir: Path = Field(
        default=Path(".provisioner"),
        description="Folder of the embedded servers' data, ports and passwords",
    )
    api_host: str = "127.0.0.1"
    api_port: int = Field(default=8080, ge=0, le=65535)
    log_level: LogLevel = "INFO"

    purge_interval_seconds: float = Field(default=60.0, gt=0)
    republish_after_seconds: float = Field(
        default=30.0, gt=0, description="A queued operation older than this is published again"
    )
    worker_concurrency: int = Field(default=2, ge=1)
    task_time_limit_seconds: int = Field(default=600, ge=1)
    visibility_timeout_seconds: int = Field(default=3600, ge=1)
    max_attempts: int = Field(default=5, ge=1)
    queue_name: str = "provisioner"

    driver: Literal["simulated"] = "simulated"
    simulated_latency_seconds: float = Field(default=0.0, ge=0)
    simulated_latency_pattern: str = Field(
        default="",
        description="Regex on `kind:NAME`; when set, only matching steps wait the latency",
    )
    simulated_failure_pattern: str = Field(
        default="",
        description="Regex on `kind:NAME` (e.g. `^create:FAIL_`); matching steps fail for good",
    )

    default_region: str = "AWS_US_WEST_2"
    regions: tuple[str, ...] = ("AWS_US_WEST_2", "AWS_US_EAST_1", "AWS_EU_CENTRAL_1")
    region_group: str = "PUBLIC"
    account_url_domain: str = "accounts.provisioner.invalid"
    db_pool_size: int = Field(default=10, ge=1)

    @model_validator(mode="after")
    def _default_region_is_offered(self) -> Settings:
        if self.default_region not in self.regions:
            raise ValueError(f"DEFAULT_REGION {self.default_region} is not one of REGIONS")
        return self
