"""Account references: a name, `id:<uuid>` or `externalId:<value>`, each or a 400."""

from __future__ import annotations

import uuid

import pytest

from service.domain.errors import InvalidArgument
from service.domain.refs import AccountRef, RefKind, parse_account_ref

ID = uuid.UUID("6f1c2f0e-3f55-4b8e-9a57-0d3b6a3c1e2f")


@pytest.mark.parametrize(
    ("raw", "ref", "shown"),
    [
        ("my_acct", AccountRef(RefKind.NAME, "MY_ACCT"), "MY_ACCT"),
        (f"id:{ID}", AccountRef(RefKind.ID, str(ID)), f"id:{ID}"),
        (f"id:{str(ID).upper()}", AccountRef(RefKind.ID, str(ID)), f"id:{ID}"),
        ("externalId:crm:7", AccountRef(RefKind.EXTERNAL_ID, "crm:7"), "externalId:'crm:7'"),
        ("externalID:crm-7", AccountRef(RefKind.EXTERNAL_ID, "crm-7"), "externalId:'crm-7'"),
    ],
)
def test_each_form_parses_to_its_reference(raw: str, ref: AccountRef, shown: str) -> None:
    assert parse_account_ref(raw) == ref
    assert str(ref) == shown


def test_an_id_reference_carries_its_uuid() -> None:
    assert parse_account_ref(f"id:{ID}").uuid == ID
    assert AccountRef.by_id(ID) == parse_account_ref(f"id:{ID}")
    assert AccountRef.by_name("x") == parse_account_ref("X")


@pytest.mark.parametrize(
    ("raw", "says"),
    [
        ("id:42", "id: must be followed by an account id (a UUID), got '42'"),
        ("id:", "id: must be followed by an account id"),
        ("externalId:", "externalId: must be followed by an external id of 1 to 255"),
        ("externalId:" + "x" * 256, "externalId: must be followed by an external id of 1 to 255"),
        ("Id:x", "names cannot contain ':'"),
        ("externalid:x", "names cannot contain ':'"),
        ("externalID:", "externalId: must be followed by an external id of 1 to 255"),
        ("9lives", "is not a valid account name"),
        ("", "is not a valid account name"),
    ],
)
def test_a_malformed_reference_is_invalid_and_says_why(raw: str, says: str) -> None:
    with pytest.raises(InvalidArgument, match=r"^name: |^name '") as caught:
        parse_account_ref(raw)
    assert says in caught.value.message
