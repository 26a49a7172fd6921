"""Random locators and passwords: the right length, only the alphabet, every character used."""

from __future__ import annotations

import random
import string
import uuid
from collections import Counter

from service.domain.identifiers import random_text, uuid4_text
from service.domain.passwords import GENERATED_PASSWORD_LENGTH, generate_password, password_problem
from service.usecases.accounts import new_locator


def test_random_text_has_the_length_and_only_the_alphabet() -> None:
    for alphabet, length in [("ab", 1), (string.digits, 6), (string.ascii_letters, 300)]:
        text = random_text(alphabet, length)
        assert len(text) == length
        assert set(text) <= set(alphabet)


def test_random_text_draws_every_character_about_equally() -> None:
    # 255 characters: a plain `byte % 255` would give the first one twice the others' chance.
    alphabet = "".join(chr(code) for code in range(0x100, 0x1FF))
    counts = Counter(random_text(alphabet, 255_000))
    assert set(counts) == set(alphabet)
    for count in counts.values():
        assert abs(count - 1_000) < 200  # ~6 standard deviations


def test_locators_are_two_letters_then_six_digits() -> None:
    locators = {new_locator() for _ in range(200)}
    assert len(locators) == 200
    for locator in locators:
        assert len(locator) == 8
        assert set(locator[:2]) <= set(string.ascii_uppercase)
        assert set(locator[2:]) <= set(string.digits)


def test_generated_passwords_meet_the_policy() -> None:
    passwords = {generate_password() for _ in range(200)}
    assert len(passwords) == 200
    for password in passwords:
        assert len(password) == GENERATED_PASSWORD_LENGTH
        assert password_problem(password) is None


def test_uuid4_text_is_what_uuid_writes_for_the_same_bits() -> None:
    for bits in [0, (1 << 128) - 1, *(random.getrandbits(128) for _ in range(2000))]:
        assert uuid4_text(bits) == str(uuid.UUID(int=bits, version=4))
    # Bits past the 128th are ignored.
    assert uuid4_text((5 << 128) | 7) == uuid4_text(7)
