"""Request ids: a short printable client value is kept, anything else gets a fresh UUID."""

from __future__ import annotations

import uuid

import pytest

from service.web.middlewares import choose_request_id


def is_fresh_uuid(value: str) -> bool:
    return uuid.UUID(value).version == 4 and str(uuid.UUID(value)) == value


@pytest.mark.parametrize("client_value", ["req-123", "a", "x" * 128, "trace id: 42/7"])
def test_a_short_printable_client_id_is_kept(client_value: str) -> None:
    assert choose_request_id(client_value) == client_value


@pytest.mark.parametrize(
    "client_value", ["x" * 129, "abc\ndef", "abc\rdef", "tab\there", "nul\x00", "", None]
)
def test_a_long_unprintable_or_absent_client_id_gets_a_fresh_uuid(client_value: str | None) -> None:
    chosen = choose_request_id(client_value)
    assert chosen != client_value
    assert is_fresh_uuid(chosen)


def test_two_fresh_ids_differ() -> None:
    assert choose_request_id(None) != choose_request_id(None)
