"""Which bodies a model may validate straight from their bytes, and the decoded path's 400s."""

from __future__ import annotations

import pytest

from service.domain.errors import InvalidArgument
from service.web.bodies import decode_json, plain_object


def test_a_json_object_without_nul_may_be_validated_from_its_bytes() -> None:
    assert plain_object(b'{"name": "A", "comment": "caf\\u00e9"}')


@pytest.mark.parametrize(
    "raw",
    [
        b'{"name": "A\\u0000"}',  # PostgreSQL cannot store it: decode_json refuses it
        b' {"name": "A"}',
        b'["name"]',
        b"null",
    ],
)
def test_anything_else_goes_through_decode_json(raw: bytes) -> None:
    assert not plain_object(raw)


def test_decode_json_refuses_nul_and_broken_json() -> None:
    with pytest.raises(InvalidArgument, match="NUL"):
        decode_json(b'{"name": "A\\u0000"}')
    with pytest.raises(InvalidArgument, match="not valid JSON"):
        decode_json(b'{"name": ')
    assert decode_json(b' {"name": "A"}') == {"name": "A"}
