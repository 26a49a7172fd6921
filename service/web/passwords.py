"""Turning a request's password (given or generated) into what an operation may keep."""

from __future__ import annotations

import asyncio

from service.accounts import NewPassword
from service.credentials import PasswordSeal, generate_password, scram_verifier


async def new_password(given: str | None, seal: PasswordSeal) -> NewPassword:
    """The verifier of `given`, or of a generated password that is also sealed for hand-over."""
    password = given if given is not None else generate_password()
    # PBKDF2 (4096 rounds) is CPU work; hashlib releases the GIL, so a thread keeps the loop free.
    verifier = await asyncio.get_running_loop().run_in_executor(None, scram_verifier, password)
    return NewPassword(verifier=verifier, sealed=None if given is not None else seal.seal(password))
