"""The prepared 202 of an accepted create: the very answer result_response(accepted()) gives."""

from __future__ import annotations

import uuid

from service.domain.results import accepted
from service.web.responses import accepted_response, result_response


def test_the_prepared_202_has_the_body_status_and_headers_of_the_built_one() -> None:
    for _ in range(3):
        handle = uuid.uuid4()
        prepared = accepted_response(handle)
        built = result_response(accepted(handle))
        assert prepared.status == built.status == 202
        assert prepared.body == built.body
        assert dict(prepared.headers) == dict(built.headers)
        assert prepared.headers["Location"] == f"/api/v2/results/{handle}"
        assert (prepared.content_type, prepared.charset) == ("application/json", "utf-8")


def test_two_prepared_answers_do_not_share_headers() -> None:
    first, second = accepted_response(uuid.uuid4()), accepted_response(uuid.uuid4())
    assert first.headers["Location"] != second.headers["Location"]
    assert first.body != second.body
