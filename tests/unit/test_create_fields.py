"""No create field is silently ignored: each takes effect, or a value the service cannot honour
is a 400 that names the field and says why (the values Snowflake's clients send are accepted)."""

from __future__ import annotations

from typing import Any

import pytest

from service.domain.errors import InvalidArgument
from service.domain.patches import AccountPatch
from service.domain.schemas import AccountCreate
from tests.bodies import snowflake_create_body


def parse(**fields: Any) -> AccountCreate:
    return AccountCreate.parse(
        snowflake_create_body("my_acct", **fields),
        regions=("AWS_US_WEST_2",),
        default_region="AWS_US_WEST_2",
        region_group="PUBLIC",
    )


@pytest.mark.parametrize(
    "fields",
    [
        {},
        {"must_change_password": False, "polaris": False},
        {"admin_user_type": None, "admin_rsa_public_key": None},
        {"admin_user_type": "PERSON"},
        {"admin_user_type": "Person"},
    ],
)
def test_what_the_service_does_anyway_is_accepted(fields: dict[str, Any]) -> None:
    model = parse(**fields)
    assert model.must_change_password is False
    assert model.polaris is False
    assert model.admin_rsa_public_key is None
    assert model.admin_user_type in {None, "PERSON"}


@pytest.mark.parametrize(
    ("field", "value", "why"),
    [
        ("must_change_password", True, "cannot be made to change its password"),
        ("polaris", True, "no Polaris"),
        ("admin_rsa_public_key", "MIIBIjANBgkqh", "key-pair authentication is not supported"),
        ("admin_user_type", "SERVICE", "only PERSON"),
        ("admin_user_type", "LEGACY_SERVICE", "only PERSON"),
    ],
)
def test_a_value_the_service_cannot_honour_is_refused_naming_the_field(
    field: str, value: object, why: str
) -> None:
    with pytest.raises(InvalidArgument) as caught:
        parse(**{field: value})
    assert f"{field}: " in caught.value.message
    assert why in caught.value.message


def test_every_refusal_is_listed_at_once() -> None:
    with pytest.raises(InvalidArgument) as caught:
        parse(must_change_password=True, polaris=True, admin_user_type="SERVICE")
    for field in ("must_change_password", "polaris", "admin_user_type"):
        assert f"{field}: " in caught.value.message


def test_the_owner_contact_is_kept() -> None:
    model = parse(first_name="Ada", last_name="Lovelace", email="ada@example.com")
    assert (model.admin_name, model.email, model.first_name, model.last_name) == (
        "ADMIN",
        "ada@example.com",
        "Ada",
        "Lovelace",
    )


SHOWN_FIELDS = ("id", "updated_on", "owner", "usage", "limits", "over_limit", "suspended_reason")


@pytest.mark.parametrize("key", SHOWN_FIELDS)
def test_what_an_account_shows_is_read_only_on_create_and_patch(key: str) -> None:
    """A GET body sent back: its extensions null are ignored like Snowflake's read-only keys;
    with a value each is refused as read-only (not "not a field": the account has it)."""
    assert parse(**{key: None}).name == "MY_ACCT"
    with pytest.raises(InvalidArgument) as created:
        parse(**{key: "x"})
    assert f"{key}: is read-only and cannot be set" in created.value.message
    with pytest.raises(InvalidArgument) as patched:
        AccountPatch.parse({key: "x"})
    assert f"{key}: is read-only and cannot be changed" in patched.value.message
