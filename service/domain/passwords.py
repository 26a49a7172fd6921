"""Administrator credentials: the password policy, generated passwords, SCRAM verifiers, sealing.

A plaintext password exists only in memory: the tenant cluster receives a pre-hashed
SCRAM-SHA-256 verifier, and a generated password is kept sealed with the server key until the
create (or rotate) result hands it over once.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import string

from cryptography.fernet import Fernet, InvalidToken
from scramp import ScramMechanism

from service.domain.identifiers import random_text

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 128
GENERATED_PASSWORD_LENGTH = 24
SCRAM_ITERATIONS = 4096
PASSWORD_RULE = (
    f"must be {MIN_PASSWORD_LENGTH}-{MAX_PASSWORD_LENGTH} printable ASCII characters without "
    "spaces, with at least one lower-case letter, one upper-case letter and one digit"
)
_PRINTABLE = frozenset(string.ascii_letters + string.digits + string.punctuation)
_ALPHABET = string.ascii_letters + string.digits
# A password needs a character of each.
_CLASSES = tuple(
    frozenset(group) for group in (string.ascii_lowercase, string.ascii_uppercase, string.digits)
)


def password_problem(password: str) -> str | None:
    """Why `password` breaks the policy, or None when it meets it.

    ASCII only: PostgreSQL and libpq normalise other characters (SASLprep) before hashing, and a
    verifier computed here without that step would not match.
    """
    if not MIN_PASSWORD_LENGTH <= len(password) <= MAX_PASSWORD_LENGTH:
        return PASSWORD_RULE
    used = set(password)
    if not used <= _PRINTABLE:
        return PASSWORD_RULE
    if not all(used & group for group in _CLASSES):
        return PASSWORD_RULE
    return None


def generate_password() -> str:
    """A random password that meets the policy (~143 bits)."""
    while True:
        password = random_text(_ALPHABET, GENERATED_PASSWORD_LENGTH)
        if password_problem(password) is None:
            return password


def scram_verifier(password: str) -> str:
    """The `SCRAM-SHA-256$…` verifier PostgreSQL stores; it accepts it pre-hashed."""
    salt, stored_key, server_key, iterations = ScramMechanism("SCRAM-SHA-256").make_auth_info(
        password, iteration_count=SCRAM_ITERATIONS
    )

    def b64(raw: bytes) -> str:
        return base64.b64encode(raw).decode()

    return f"SCRAM-SHA-256${iterations}:{b64(salt)}${b64(stored_key)}:{b64(server_key)}"


class SealingError(RuntimeError):
    """A sealed password could not be opened (wrong SECRET_KEY?)."""


class PasswordSeal:
    """Seals passwords with the server key (Fernet: AES-128-CBC + HMAC-SHA256)."""

    def __init__(self, key: str) -> None:
        self._digest_key = hashlib.sha256(b"account-provisioner digest\0" + key.encode()).digest()
        try:
            self._fernet = Fernet(key.encode())
        except ValueError as exc:
            raise ValueError(
                "SECRET_KEY must be 32 url-safe base64-encoded bytes "
                "(generate one with `provisioner secret-key`)"
            ) from exc

    def seal(self, password: str) -> str:
        return self._fernet.encrypt(password.encode()).decode()

    def digest(self, data: bytes) -> str:
        """A keyed digest (HMAC-SHA256 under a key derived from the server key)."""
        return hmac.new(self._digest_key, data, hashlib.sha256).hexdigest()

    def open(self, sealed: str) -> str:
        try:
            return self._fernet.decrypt(sealed.encode()).decode()
        except InvalidToken as exc:
            raise SealingError("a sealed password does not open with this SECRET_KEY") from exc


def new_secret_key() -> str:
    return Fernet.generate_key().decode()
