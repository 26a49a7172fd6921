"""The Account object on the wire: nullable fields are null, other empty fields are omitted."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from service.domain.lifecycle import AccountState
from service.domain.schemas import NULLABLE_FIELDS
from service.store.models import Account
from service.web.account_view import render_account

CREATED = datetime(2026, 11, 23, 10, 21, 43, 296114, tzinfo=UTC)
ACCOUNT_ID = uuid.UUID("6f1c2f0e-3f55-4b8e-9a57-0d3b6a3c1e2f")


def active_account(**changes: object) -> Account:
    fields: dict[str, object] = {
        "id": 1,
        "public_id": ACCOUNT_ID,
        "organization_id": 1,
        "name": "MY_ACCT",
        "state": AccountState.ACTIVE,
        "account_locator": "AB12345",
        "edition": "ENTERPRISE",
        "region_group": "PUBLIC",
        "region": "AWS_US_WEST_2",
        "created_on": CREATED,
        "account_url": "https://my-org-my-acct.example.invalid",
        "account_locator_url": "https://ab12345.aws-us-west-2.example.invalid",
        "managed_accounts": 0,
        "is_org_admin": False,
        "retention_time": 1,
        "is_events_account": False,
        # Columns with a database default: a row read back always has them.
        "enabled": True,
        "deletion_protection": False,
    }
    fields.update(changes)
    return Account(**fields)


def test_an_active_account_renders_exactly_the_contracts_fields_in_their_order() -> None:
    view = render_account(active_account(), "MY_ORG")
    expected = {
        "organization_name": "MY_ORG",
        "name": "MY_ACCT",
        "id": str(ACCOUNT_ID),
        "region_group": "PUBLIC",
        "region": "AWS_US_WEST_2",
        "edition": "ENTERPRISE",
        "created_on": "2026-11-23T10:21:43.296114+00:00",
        "account_url": "https://my-org-my-acct.example.invalid",
        "account_locator": "AB12345",
        "account_locator_url": "https://ab12345.aws-us-west-2.example.invalid",
        "managed_accounts": 0,
        "is_org_admin": False,
        "retention_time": 1,
        "is_events_account": False,
        "state": "ACTIVE",
        "enabled": True,
        "deletion_protection": False,
        "dropped_on": None,
        "scheduled_deletion_time": None,
        "restored_on": None,
        "organization_URL_expiration_on": None,
        "moved_on": None,
    }
    assert view == expected
    assert list(view) == list(expected)


def test_the_nullable_fields_are_present_as_null_when_they_have_no_value() -> None:
    view = render_account(active_account(), "MY_ORG")
    for key in NULLABLE_FIELDS:
        assert key in view
        assert view[key] is None


def test_other_fields_without_a_value_are_omitted() -> None:
    view = render_account(
        active_account(comment=None, account_url=None, created_on=None, old_account_url=None),
        "MY_ORG",
    )
    for key in ("comment", "account_url", "created_on", "old_account_url", "moved_to_organization"):
        assert key not in view
    assert None not in {v for k, v in view.items() if k not in NULLABLE_FIELDS}


def test_internal_columns_are_never_rendered() -> None:
    view = render_account(active_account(purged_on=CREATED), "MY_ORG")
    assert view["id"] == str(ACCOUNT_ID)  # the public id, never the internal key
    for key in (
        "organization_id",
        "public_id",
        "purged_on",
        "organization_url_expiration_on",
    ):
        assert key not in view


def test_a_dropped_account_shows_its_drop_times_with_a_utc_offset() -> None:
    dropped = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    view = render_account(
        active_account(
            state=AccountState.DROPPED,
            dropped_on=dropped,
            scheduled_deletion_time=dropped + timedelta(days=3),
            organization_url_expiration_on=dropped,
        ),
        "MY_ORG",
    )
    assert view["state"] == "DROPPED"
    assert view["dropped_on"] == "2026-01-02T03:04:05+00:00"
    assert view["scheduled_deletion_time"] == "2026-01-05T03:04:05+00:00"
    assert view["organization_URL_expiration_on"] == "2026-01-02T03:04:05+00:00"
    assert view["restored_on"] is None
    assert view["moved_on"] is None


def test_the_nullable_fields_come_last_in_one_order_whether_set_or_not() -> None:
    dropped = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    view = render_account(active_account(restored_on=dropped, moved_on=dropped), "MY_ORG")
    assert list(view)[-len(NULLABLE_FIELDS) :] == list(NULLABLE_FIELDS)


def test_a_comment_is_rendered_when_set() -> None:
    view = render_account(active_account(comment="hello"), "MY_ORG")
    assert view["comment"] == "hello"
