"""A cluster that did not answer is held off: its next steps fail at once instead of each
holding a worker slot for the connect timeout, and the other clusters' steps go on.

Found by the multi-host run: with tenant1's cable cut, every queued step of tenant1 held a
worker slot for 5 s, and the other region's creates waited behind them."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from service.settings import Settings
from tests.integration.rows import new_spec
from workers.drivers import postgres_driver
from workers.drivers.base import ClusterUnreachable
from workers.drivers.routing import LAST_OK_SECONDS, ClusterRouter, Directory
from workers.drivers.tenant_cluster import CONNECT_TIMEOUT_SECONDS

HOLD_OFF_SECONDS = 2.0


@pytest.fixture
def silent() -> Iterator[socket.socket]:
    """A server that accepts connections and never says a word: PostgreSQL's connect waits
    out its timeout, as for a host whose packets vanish."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(64)
        yield listener


def router_for(
    settings: Settings,
    urls: dict[str, str],
    last_ok: Callable[[str], datetime | None] = lambda name: None,
) -> ClusterRouter:
    default = settings.tenant_url()
    assert default is not None
    return ClusterRouter(
        postgres_driver(settings, default, None, None),
        Directory(
            address=lambda name: (urls[name], "127.0.0.1", 5432) if name in urls else None,
            names=lambda: list(urls),
            open_url=lambda sealed: sealed,  # the registry's sealing is not what is tested
            make=lambda url, host, port: postgres_driver(settings, url, host, port),
            note_health=lambda name, error: None,
            last_ok=last_ok,
            probe=lambda url, timeout: postgres_driver(settings, url, None, None).probe(timeout),
        ),
        hold_off_seconds=HOLD_OFF_SECONDS,
    )


def timed_unreachable(step: Callable[[], object]) -> tuple[float, str]:
    started = time.monotonic()
    with pytest.raises(ClusterUnreachable) as caught:
        step()
    return time.monotonic() - started, str(caught.value)


def test_a_silent_cluster_is_held_off_and_the_others_go_on(
    settings: Settings, silent: socket.socket
) -> None:
    port = silent.getsockname()[1]
    real = settings.tenant_url()
    assert real is not None
    router = router_for(
        settings, {"silent": f"postgresql://postgres:pw@127.0.0.1:{port}/postgres", "real": real}
    )
    away = replace(new_spec(), cluster="silent")

    first, _ = timed_unreachable(lambda: router.create(away))
    assert first >= CONNECT_TIMEOUT_SECONDS - 1  # it was really tried
    again, message = timed_unreachable(lambda: router.create(away))
    assert again < 0.5
    assert "not tried again" in message
    assert "127.0.0.1" not in message

    router.purge(replace(new_spec(), cluster="real"))  # another cluster: tried, and done

    time.sleep(HOLD_OFF_SECONDS)
    silent.close()  # now it refuses at once: the step is tried, not held off
    _, message = timed_unreachable(lambda: router.create(away))
    assert "not tried again" not in message


def test_a_held_off_cluster_is_tried_again_once_the_registry_saw_it_answer(
    settings: Settings,
) -> None:
    """Beat's probe (or another process's step) records a success: the hold-off here ends."""
    recorded: list[datetime | None] = [None]
    refusing = "postgresql://postgres:pw@127.0.0.1:9/postgres"
    router = router_for(settings, {"away": refusing}, last_ok=lambda name: recorded[0])
    away = replace(new_spec(), cluster="away")

    recorded[0] = datetime.now(UTC)  # a success before this process found it away
    timed_unreachable(lambda: router.create(away))
    _, message = timed_unreachable(lambda: router.create(away))
    assert "not tried again" in message

    recorded[0] = datetime.now(UTC)  # and one after: tried at once, not held off
    time.sleep(LAST_OK_SECONDS)  # the registry's answer is kept that long
    _, message = timed_unreachable(lambda: router.create(away))
    assert "not tried again" not in message
    _, message = timed_unreachable(lambda: router.create(away))
    assert "not tried again" in message  # found away again: held off again
