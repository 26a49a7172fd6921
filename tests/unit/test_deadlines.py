"""A report past its deadline is a 503 `unavailable` that says what was slow."""

from __future__ import annotations

import asyncio

import pytest

from service.domain.errors import Unavailable
from service.web.deadlines import answer_within


async def test_a_block_past_its_deadline_is_unavailable_naming_it() -> None:
    with pytest.raises(Unavailable) as caught:
        async with answer_within(0.01, "the queue report"):
            await asyncio.sleep(1)
    assert caught.value.message == "the queue report took longer than 0.01 s"
    assert caught.value.headers == {"Retry-After": "5"}


async def test_a_block_in_time_answers_what_it_made() -> None:
    async with answer_within(1, "the overview"):
        made = await asyncio.sleep(0, result="report")
    assert made == "report"
