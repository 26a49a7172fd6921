"""Turning a request's password (given or generated) into what an operation may keep."""

from __future__ import annotations

from service.domain.passwords import PasswordSeal, generate_password
from service.usecases.accounts import NewPassword


def new_password(given: str | None, seal: PasswordSeal) -> NewPassword:
    """The password sealed for the worker, which derives its SCRAM verifier; a generated one
    is also handed over once by the result, a given one never leaves again."""
    password = given if given is not None else generate_password()
    return NewPassword(sealed=seal.seal(password), given=given is not None)
