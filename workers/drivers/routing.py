"""Each step on the account's own tenant cluster: one driver per registered cluster and
process, built from the registry row (its URL unsealed here, in the worker, and nowhere else)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import structlog

from service.domain.account_spec import AccountSpec
from service.domain.clusters import DEFAULT_CLUSTER
from service.usecases.operations import DriverOutcome
from workers.drivers.base import (
    ClusterUnreachable,
    DatabaseUsage,
    DriverError,
    ProvisioningDriver,
    SteppingDriver,
    TransientDriverError,
)


@dataclass(frozen=True)
class Directory:
    """How the router finds a cluster: its registry row, the key that opens its URL, how a
    driver is made for a URL and public address, where health is recorded and read back, and
    how a cluster at a URL is probed."""

    address: Callable[[str], tuple[str, str, int] | None]  # sealed URL, public host and port
    names: Callable[[], list[str]]
    open_url: Callable[[str], str]
    make: Callable[[str, str, int], ProvisioningDriver]
    note_health: Callable[[str, str | None], None]
    last_ok: Callable[[str], datetime | None]  # the registry's last success of the cluster
    probe: Callable[[str, int], None]  # URL, connect timeout; ClusterUnreachable when away


HEALTH_EVERY_SECONDS = 10.0
# A cluster that did not answer is not tried again by this process for so long: its steps fail
# at once (retried with backoff) instead of each holding a worker slot for the connect timeout,
# which starved the steps of the other clusters queued behind them.
HOLD_OFF_SECONDS = 10.0
# While a cluster is held off, the registry's last success of it is read at most this often:
# a success recorded after this process found the cluster away (the probe's) lifts the hold-off.
LAST_OK_SECONDS = 1.0
ADDRESS_SECONDS = 5.0
# libpq's least: probing a cluster whose packets vanish holds a worker slot that long.
PROBE_CONNECT_SECONDS = 2
_log = structlog.get_logger(__name__)


class ClusterRouter(SteppingDriver):
    """A ProvisioningDriver that sends each step to the driver of the account's cluster; an
    account with no cluster (placed before the registry knew any) uses `default`."""

    def __init__(
        self,
        default: ProvisioningDriver,
        directory: Directory,
        hold_off_seconds: float = HOLD_OFF_SECONDS,
    ) -> None:
        self._default = default
        self._directory = directory
        self._hold_off_seconds = hold_off_seconds
        # cluster -> (not tried again before (monotonic), when this process found it away)
        self._down: dict[str | None, tuple[float, datetime]] = {}
        self._last_ok: dict[str, tuple[float, datetime | None]] = {}  # (read at, last_ok_on)
        self._drivers: dict[str, tuple[tuple[str, str, int], ProvisioningDriver]] = {}
        self._noted: dict[str, tuple[float, bool]] = {}
        self._addresses: dict[str, tuple[float, tuple[str, str, int]]] = {}
        self._lock = threading.Lock()

    def _held_off(self, cluster: str | None) -> None:
        """ClusterUnreachable at once while the cluster's last attempt here found it away,
        unless the registry has seen it answer since."""
        down = self._down.get(cluster)
        left = 0.0 if down is None else down[0] - time.monotonic()
        if down is None or left <= 0:
            return
        if cluster is not None and self._answered_since(cluster, down[1]):
            self._down.pop(cluster, None)
            return
        raise ClusterUnreachable(
            f"tenant cluster {cluster or DEFAULT_CLUSTER} did not answer; not tried again "
            f"for {left:.0f} s"
        )

    def _answered_since(self, cluster: str, found_away: datetime) -> bool:
        """Whether the registry recorded a success of the cluster after `found_away` (the
        probe's, or another process's step), read at most every LAST_OK_SECONDS."""
        now = time.monotonic()
        cached = self._last_ok.get(cluster)
        if cached is None or now - cached[0] >= LAST_OK_SECONDS:
            try:
                cached = (now, self._directory.last_ok(cluster))
            except Exception:  # the registry is advice here: without it the hold-off stands
                return False
            self._last_ok[cluster] = cached
        return cached[1] is not None and cached[1] > found_away

    def _address(self, cluster: str) -> tuple[str, str, int] | None:
        """The cluster's registry row, read at most every ADDRESS_SECONDS per process (a purge
        batch runs a hundred steps on a few clusters); a change reaches workers within it."""
        now = time.monotonic()
        cached = self._addresses.get(cluster)
        if cached is not None and now - cached[0] < ADDRESS_SECONDS:
            return cached[1]
        address = self._directory.address(cluster)
        if address is not None:
            self._addresses[cluster] = (now, address)
        return address

    def driver_for(self, cluster: str | None) -> ProvisioningDriver:
        if cluster is None:
            return self._default
        address = self._address(cluster)
        if address is None:
            raise DriverError(f"tenant cluster {cluster} is not registered")
        with self._lock:
            cached = self._drivers.get(cluster)
            if cached is not None and cached[0] == address:
                return cached[1]
            url = self._open(cluster, address)
            driver = self._directory.make(url, address[1], address[2])
            self._drivers[cluster] = (address, driver)
            return driver

    def _open(self, cluster: str, address: tuple[str, str, int]) -> str:
        try:
            return self._directory.open_url(address[0])
        except Exception as exc:  # a sealing error: another SECRET_KEY sealed it
            raise DriverError(
                f"tenant cluster {cluster}: its URL does not open with this SECRET_KEY"
            ) from exc

    def open_address(self, cluster: str) -> tuple[str, str, int]:
        """The cluster's superuser URL, public host and port (for a move, which needs two)."""
        address = self._address(cluster)
        if address is None:
            raise DriverError(f"tenant cluster {cluster} is not registered")
        return self._open(cluster, address), address[1], address[2]

    def clusters(self) -> list[tuple[str, ProvisioningDriver]]:
        """Every registered cluster with its driver (the default alone while none is); one
        whose URL does not open here is logged and left out."""
        names = self._directory.names()
        if not names:
            return [(DEFAULT_CLUSTER, self._default)]
        found = []
        for name in names:
            try:
                found.append((name, self.driver_for(name)))
            except DriverError as exc:
                _log.warning("tenant_cluster.unusable", cluster=name, reason=str(exc))
        return found

    def _health(self, cluster: str | None, error: str | None) -> None:
        """Record a cluster's last success or error; a success at most every few seconds."""
        if cluster is None:
            return
        now = datetime.now(UTC).timestamp()
        last = self._noted.get(cluster)
        ok = error is None
        if ok and last is not None and last[1] and now - last[0] < HEALTH_EVERY_SECONDS:
            return
        self._noted[cluster] = (now, ok)
        try:
            self._directory.note_health(cluster, error)
        except Exception:  # health is advice; the step's outcome is what counts
            return

    def probe(self, cluster: str) -> None:
        """A fresh session on the cluster: ClusterUnreachable when it does not answer (another
        DriverError when it refuses). When it answers it is recorded as healthy (whatever this
        process recorded last) and no longer held off here."""
        self._directory.probe(self.open_address(cluster)[0], PROBE_CONNECT_SECONDS)
        self._down.pop(cluster, None)
        self._noted[cluster] = (datetime.now(UTC).timestamp(), True)
        self._directory.note_health(cluster, None)

    def measure_usage(self) -> list[DatabaseUsage]:
        return self._default.measure_usage()

    def _step(self, kind: str, account: AccountSpec) -> DriverOutcome:
        cluster = account.cluster
        self._held_off(cluster)
        driver = self.driver_for(cluster)
        try:
            outcome: DriverOutcome = getattr(driver, kind)(account)
        except TransientDriverError as exc:
            if isinstance(exc, ClusterUnreachable):
                self._down[cluster] = (
                    time.monotonic() + self._hold_off_seconds,
                    datetime.now(UTC),
                )
            self._health(cluster, str(exc))
            raise
        self._down.pop(cluster, None)
        self._health(cluster, None)
        return outcome
