"""The create body: what Snowflake's clients send is accepted, and every invalid field is named."""

from __future__ import annotations

import json
from typing import Any

import pytest

from service.domain.errors import InvalidArgument
from service.domain.schemas import AccountCreate, Edition
from tests.bodies import snowflake_create_body

REGIONS = ("AWS_US_WEST_2", "AWS_US_EAST_1")
PASSWORD = "Sup3r-Secret-Passw0rd"
PROBLEMS_PREFIX = "invalid account: "


def parse(body: object) -> AccountCreate:
    return AccountCreate.parse(
        body, regions=REGIONS, default_region="AWS_US_WEST_2", region_group="PUBLIC"
    )


def client_body(**changes: Any) -> dict[str, Any]:
    """A create body shaped like the ones Snowflake's clients send."""
    typical: dict[str, Any] = {
        "name": "my_acct",
        "admin_password": PASSWORD,
        "edition": "enterprise",
        "first_name": "Ada",
        "last_name": "Lovelace",
        "comment": "made by the unit tests",
        "admin_user_type": "person",
    }
    return snowflake_create_body(**(typical | changes))


def problems_of(body: object) -> list[str]:
    with pytest.raises(InvalidArgument) as caught:
        parse(body)
    assert caught.value.status == 400
    message = caught.value.message
    assert message.startswith(PROBLEMS_PREFIX)
    return message.removeprefix(PROBLEMS_PREFIX).split("; ")


def test_a_body_as_snowflake_clients_send_it_is_accepted_and_upper_cased() -> None:
    model = parse(client_body())
    assert model.name == "MY_ACCT"
    assert model.admin_name == "ADMIN"
    assert model.edition is Edition.ENTERPRISE
    assert model.email == "admin@example.com"
    assert model.admin_password == PASSWORD
    assert model.must_change_password is False
    assert model.polaris is False
    assert model.admin_user_type == "PERSON"
    assert model.comment == "made by the unit tests"


def test_region_and_region_group_default_when_absent() -> None:
    model = parse(client_body())
    assert model.region == "AWS_US_WEST_2"
    assert model.region_group == "PUBLIC"


def test_region_and_region_group_default_when_null() -> None:
    model = parse(client_body(region=None, region_group=None))
    assert model.region == "AWS_US_WEST_2"
    assert model.region_group == "PUBLIC"


def test_a_known_region_in_any_case_is_accepted_upper_case() -> None:
    model = parse(client_body(region="aws_us_east_1", region_group="public"))
    assert model.region == "AWS_US_EAST_1"
    assert model.region_group == "PUBLIC"


def test_an_unknown_region_is_rejected_naming_the_allowed_ones() -> None:
    assert problems_of(client_body(region="AWS_EU_CENTRAL_1")) == [
        "region: must be one of AWS_US_WEST_2, AWS_US_EAST_1"
    ]


def test_an_unknown_region_group_is_rejected() -> None:
    assert problems_of(client_body(region_group="PRIVATE")) == [
        "region_group: must be one of PUBLIC"
    ]


def test_missing_required_fields_are_all_named_in_one_error() -> None:
    body = {"must_change_password": False, "polaris": False}
    assert sorted(problems_of(body)) == [
        "admin_name: is required",
        "edition: is required",
        "email: is required",
        "name: is required",
    ]


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("account_locator", "X"),
        ("created_on", "2026-01-01T00:00:00+00:00"),
        ("dropped_on", "2026-01-01T00:00:00+00:00"),
        ("state", "ACTIVE"),
        ("is_org_admin", False),
    ],
)
def test_a_read_only_key_with_a_value_is_rejected_naming_it(key: str, value: object) -> None:
    assert problems_of(client_body(**{key: value})) == [f"{key}: is read-only and cannot be set"]


def test_every_read_only_key_sent_as_null_is_ignored() -> None:
    nulls = {
        key: None
        for key in (
            "organization_name",
            "created_on",
            "account_url",
            "account_locator",
            "is_org_admin",
            "state",
        )
    }
    assert parse(client_body(**nulls)).name == "MY_ACCT"


def test_an_unknown_key_is_rejected_naming_it() -> None:
    assert problems_of(client_body(colour="blue")) == ["colour: is not a field of Account"]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        pytest.param("must_change_password", "true", id="string-must_change_password"),
        pytest.param("polaris", "false", id="string-polaris"),
        *(
            pytest.param("email", email, id=f"email-{email!r}")
            for email in ["not-an-email", "a@b", "a b@example.com", "@example.com", ""]
        ),
        pytest.param("edition", "gold", id="unknown-edition"),
    ],
)
def test_a_field_of_the_wrong_kind_is_rejected_alone(field: str, value: str) -> None:
    problems = problems_of(client_body(**{field: value}))
    assert len(problems) == 1
    assert problems[0].startswith(f"{field}: ")


@pytest.mark.parametrize(("field", "value"), [("name", "1abc"), ("admin_name", '"abc"')])
def test_a_name_that_is_not_an_identifier_is_rejected(field: str, value: str) -> None:
    problems = problems_of(client_body(**{field: value}))
    assert len(problems) == 1
    assert problems[0].startswith(f"{field}: must start with a letter or underscore")


def test_several_invalid_fields_are_all_listed_together() -> None:
    problems = problems_of(
        client_body(account_locator="X", email="nope", colour="blue", edition="gold")
    )
    assert sorted(p.split(":")[0] for p in problems) == [
        "account_locator",
        "colour",
        "edition",
        "email",
    ]


@pytest.mark.parametrize("body", [[], ["name"], "my_acct", None, 42, True])
def test_a_body_that_is_not_a_json_object_is_rejected(body: object) -> None:
    with pytest.raises(InvalidArgument, match="must be a JSON object"):
        parse(body)


def test_the_redacted_request_never_contains_the_admin_password() -> None:
    redacted = parse(client_body()).redacted()
    assert "admin_password" not in redacted
    assert PASSWORD not in json.dumps(redacted)
    assert redacted["name"] == "MY_ACCT"
    assert redacted["edition"] == "ENTERPRISE"
    assert redacted["region"] == "AWS_US_WEST_2"


def test_the_redacted_request_omits_fields_that_were_not_sent() -> None:
    body = client_body()
    del body["comment"], body["first_name"], body["last_name"], body["admin_password"]
    redacted = parse(body).redacted()
    assert "comment" not in redacted
    assert "first_name" not in redacted
    assert "admin_rsa_public_key" not in redacted


READ_ONLY = {"dropped_on", "scheduled_deletion_time", "restored_on", "moved_on"} | {
    "organization_URL_expiration_on"
}


def parse_json(raw: bytes) -> AccountCreate | None:
    return AccountCreate.parse_json(
        raw, regions=REGIONS, default_region="AWS_US_WEST_2", region_group="PUBLIC"
    )


@pytest.mark.parametrize(
    "changes",
    [
        {},
        {"region": "aws_us_east_1", "region_group": "public"},
        {"admin_password": None, "comment": "ünïcode ✓"},
        {"deletion_protection": True, "external_id": "ext-1"},
    ],
)
def test_a_valid_body_validated_from_its_bytes_is_the_same_create(changes: dict[str, Any]) -> None:
    body = {key: value for key, value in client_body(**changes).items() if key not in READ_ONLY}
    from_bytes = parse_json(json.dumps(body).encode())
    assert from_bytes is not None
    assert from_bytes == parse(body)
    assert (from_bytes.region, from_bytes.region_group) == (
        (changes.get("region") or "AWS_US_WEST_2").upper(),
        "PUBLIC",
    )


@pytest.mark.parametrize(
    "body",
    [
        # Read-only keys, even null (Snowflake's clients send some): `parse` lets null through.
        client_body(),
        client_body(state="ACTIVE"),
        client_body(edition="PLATINUM"),
        client_body(region="MARS_1"),
        client_body(unknown="x"),
        ["not", "an", "object"],
    ],
)
def test_anything_but_a_plain_valid_create_is_left_to_parse(body: object) -> None:
    assert parse_json(json.dumps(body).encode()) is None


def test_bytes_that_are_not_json_are_left_to_parse() -> None:
    assert parse_json(b'{"name": "A",') is None
    assert parse_json(b"\xff\xfe") is None
