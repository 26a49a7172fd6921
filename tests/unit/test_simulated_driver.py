"""The simulated driver and fault injection: failures and latency only where they match."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from service.domain.account_spec import AccountSpec
from service.settings import Settings
from workers.drivers import create_driver
from workers.drivers.base import DriverError, TransientDriverError
from workers.drivers.faults import FaultInjectingDriver
from workers.drivers.simulated import SimulatedDriver

DOMAIN = "accounts.example.invalid"
LATENCY = 0.2


def spec(name: str) -> AccountSpec:
    return AccountSpec(
        organization_name="My_Org",
        name=name,
        locator="AB12345",
        edition="STANDARD",
        region="AWS_US_WEST_2",
        tenant_database="acct_ab12345",
        tenant_role="acct_ab12345_admin",
        request={},
    )


def failing_driver() -> FaultInjectingDriver:
    return FaultInjectingDriver(
        SimulatedDriver(url_domain=DOMAIN), latency_seconds=0, failure_pattern="^create:FAIL_"
    )


def test_a_create_matching_the_failure_pattern_fails_permanently() -> None:
    with pytest.raises(DriverError, match="create:FAIL_X") as caught:
        failing_driver().create(spec("FAIL_X"))
    assert not isinstance(caught.value, TransientDriverError)


@pytest.mark.parametrize("step", ["drop", "undrop", "purge"])
def test_other_steps_of_the_same_account_do_not_fail(step: str) -> None:
    outcome = getattr(failing_driver(), step)(spec("FAIL_X"))
    assert outcome.account_url is None
    assert outcome.credentials is None


def test_a_create_not_matching_the_failure_pattern_succeeds() -> None:
    assert failing_driver().create(spec("OK_FAIL_X")).account_url is not None


def test_account_urls_are_lower_case_dns_labels() -> None:
    outcome = failing_driver().create(spec("MY_ACCT"))
    assert outcome.account_url == f"https://my-org-my-acct.{DOMAIN}"
    assert outcome.account_locator_url == f"https://ab12345.aws-us-west-2.{DOMAIN}"


def test_create_and_rotate_report_the_tenant_login() -> None:
    driver = SimulatedDriver(url_domain=DOMAIN)
    for outcome in (driver.create(spec("MY_ACCT")), driver.rotate(spec("MY_ACCT"))):
        assert outcome.credentials is not None
        assert outcome.credentials["user"] == "acct_ab12345_admin"
        assert outcome.credentials["database"] == "acct_ab12345"


def elapsed(step: Callable[[], object]) -> float:
    started = time.monotonic()
    step()
    return time.monotonic() - started


def test_latency_applies_only_to_steps_matching_the_latency_pattern() -> None:
    driver = FaultInjectingDriver(
        SimulatedDriver(url_domain=DOMAIN), latency_seconds=LATENCY, latency_pattern="^create:SLOW_"
    )
    assert elapsed(lambda: driver.create(spec("SLOW_X"))) >= LATENCY
    assert elapsed(lambda: driver.drop(spec("SLOW_X"))) < 0.1
    assert elapsed(lambda: driver.create(spec("FAST_X"))) < 0.1


def test_without_a_latency_pattern_every_step_waits() -> None:
    driver = FaultInjectingDriver(SimulatedDriver(url_domain=DOMAIN), latency_seconds=LATENCY)
    assert elapsed(lambda: driver.purge(spec("ANY"))) >= LATENCY


def test_the_driver_built_from_settings_wraps_it_with_the_failure_pattern() -> None:
    driver = create_driver(
        Settings(
            database_url=None,
            redis_url=None,
            driver="simulated",
            simulated_failure_pattern="^drop:BAD_",
        )
    )
    assert isinstance(driver, FaultInjectingDriver)
    driver.create(spec("BAD_X"))
    with pytest.raises(DriverError, match="drop:BAD_X"):
        driver.drop(spec("BAD_X"))


def test_without_fault_settings_the_driver_is_not_wrapped() -> None:
    driver = create_driver(Settings(database_url=None, redis_url=None, driver="simulated"))
    assert isinstance(driver, SimulatedDriver)
