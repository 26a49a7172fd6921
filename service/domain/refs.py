"""Account references: how a caller names one account (its name, `id:<uuid>`, `externalId:<v>`)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from enum import StrEnum

from service.domain.errors import InvalidArgument
from service.domain.names import normalize_account_name

ID_PREFIX = "id:"
EXTERNAL_ID_PREFIX = "externalId:"
# The spelling of the marketplace REST API that integrations come from (`externalID:{id}`).
EXTERNAL_ID_ALIAS = "externalID:"
MAX_EXTERNAL_ID_LENGTH = 255


class RefKind(StrEnum):
    NAME = "name"
    ID = "id"
    EXTERNAL_ID = "external_id"


@dataclass(frozen=True)
class AccountRef:
    """One account of the caller's organization, by name (upper case), id (a UUID's canonical
    text) or external id (as given)."""

    kind: RefKind
    value: str

    @classmethod
    def by_name(cls, name: str) -> AccountRef:
        return cls(RefKind.NAME, normalize_account_name(name))

    @classmethod
    def by_id(cls, public_id: uuid.UUID) -> AccountRef:
        return cls(RefKind.ID, str(public_id))

    @property
    def uuid(self) -> uuid.UUID:
        """The id of an `id` reference."""
        return uuid.UUID(self.value)

    def __str__(self) -> str:
        """A short text for messages: `MY_ACCT`, `id:…`, `externalId:…`."""
        if self.kind == RefKind.ID:
            return ID_PREFIX + self.value
        if self.kind == RefKind.EXTERNAL_ID:
            return EXTERNAL_ID_PREFIX + repr(self.value)
        return self.value


def parse_account_ref(raw: str, *, field: str = "name") -> AccountRef:
    """`id:<uuid>`, `externalId:<value>` (or `externalID:<value>`), else an account name (names
    cannot contain `:`); anything else is InvalidArgument naming `field`."""
    if raw.startswith(ID_PREFIX):
        text = raw.removeprefix(ID_PREFIX)
        try:
            return AccountRef.by_id(uuid.UUID(text))
        except ValueError:
            raise InvalidArgument(
                f"{field}: {ID_PREFIX} must be followed by an account id (a UUID), "
                f"got {text[:64]!r}"
            ) from None
    if raw.startswith((EXTERNAL_ID_PREFIX, EXTERNAL_ID_ALIAS)):
        value = raw[len(EXTERNAL_ID_PREFIX) :]
        if not 1 <= len(value) <= MAX_EXTERNAL_ID_LENGTH:
            raise InvalidArgument(
                f"{field}: {EXTERNAL_ID_PREFIX} must be followed by an external id of 1 to "
                f"{MAX_EXTERNAL_ID_LENGTH} characters"
            )
        return AccountRef(RefKind.EXTERNAL_ID, value)
    return AccountRef(RefKind.NAME, normalize_account_name(_name(raw, field), field=field))


def _name(raw: str, field: str) -> str:
    if ":" in raw:
        raise InvalidArgument(
            f"{field}: {raw[:64]!r} is neither an account name (names cannot contain ':') nor "
            f"{ID_PREFIX}<uuid> nor {EXTERNAL_ID_PREFIX}<value>"
        )
    return raw
