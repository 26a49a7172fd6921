"""Account names: identifiers, case-insensitive, stored upper case."""

from __future__ import annotations

import re

from service.domain.errors import InvalidArgument

MAX_NAME_LENGTH = 255
IDENTIFIER_PATTERN = r"^[A-Za-z_][A-Za-z0-9_$]*$"
# A name as stored and returned: upper case.
STORED_NAME_PATTERN = r"^[A-Z_][A-Z0-9_$]*$"
_IDENTIFIER = re.compile(IDENTIFIER_PATTERN)
_SHOWN = 64  # longest name quoted back in an error message
IDENTIFIER_RULE = (
    "must start with a letter or underscore, contain only letters, digits, '_' or '$', "
    f"and be at most {MAX_NAME_LENGTH} characters"
)


def is_identifier(value: str) -> bool:
    return len(value) <= MAX_NAME_LENGTH and _IDENTIFIER.fullmatch(value) is not None


def normalize_account_name(value: str, *, field: str = "name") -> str:
    """Upper-cased account name, or InvalidArgument naming `field`."""
    if not is_identifier(value):
        shown = value if len(value) <= _SHOWN else value[:_SHOWN] + "…"
        raise InvalidArgument(f"{field} {shown!r} is not a valid account name: {IDENTIFIER_RULE}")
    return value.upper()
