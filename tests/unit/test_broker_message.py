"""The Redis list entry the API pushes: the very message Celery's Redis transport would write."""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from celery import Celery

from service.adapters.broker import (
    TASK_FOR_KIND,
    AsyncPublisher,
    MessageTemplate,
    create_celery,
    task_message,
)
from service.domain.lifecycle import OperationKind
from service.settings import Settings

QUEUE = "provisioner-unit"


@pytest.fixture
def celery_app() -> Iterator[Celery]:
    settings = Settings(redis_url="redis://127.0.0.1:1/0", database_url=None, queue_name=QUEUE)
    app = create_celery(settings)
    yield app
    app.close()


@pytest.fixture
def publisher(celery_app: Celery) -> AsyncPublisher:
    # message() never touches Redis; no client is needed to build a message.
    return AsyncPublisher(celery_app, None, QUEUE)  # type: ignore[arg-type]


def envelope_of(publisher: AsyncPublisher, task: str, args: tuple[Any, ...]) -> dict[str, Any]:
    decoded: dict[str, Any] = json.loads(publisher.message(task, args))
    return decoded


def test_the_message_is_a_base64_json_envelope_routed_to_the_queue(
    publisher: AsyncPublisher,
) -> None:
    envelope = envelope_of(publisher, "provisioner.create_account", ("op-1",))
    assert envelope["content-type"] == "application/json"
    assert envelope["content-encoding"] == "utf-8"
    properties = envelope["properties"]
    assert properties["body_encoding"] == "base64"
    assert properties["delivery_mode"] == 2
    assert properties["priority"] == 0
    assert properties["delivery_info"] == {"exchange": QUEUE, "routing_key": QUEUE}


def test_the_headers_name_the_task_and_its_id_is_the_correlation_id(
    publisher: AsyncPublisher,
) -> None:
    envelope = envelope_of(publisher, "provisioner.drop_account", ("op-2",))
    headers = envelope["headers"]
    assert headers["task"] == "provisioner.drop_account"
    assert headers["lang"] == "py"
    assert headers["retries"] == 0
    assert headers["id"] == envelope["properties"]["correlation_id"]
    assert headers["root_id"] == headers["id"]


def test_the_body_decodes_to_celerys_args_kwargs_embed_triple(publisher: AsyncPublisher) -> None:
    envelope = envelope_of(publisher, "provisioner.create_account", ("op-3",))
    body = json.loads(base64.b64decode(envelope["body"]))
    assert body == [
        ["op-3"],
        {},
        {"callbacks": None, "errbacks": None, "chain": None, "chord": None},
    ]


def test_two_messages_carry_different_task_ids_and_delivery_tags(
    publisher: AsyncPublisher,
) -> None:
    first = envelope_of(publisher, "provisioner.create_account", ("op-4",))
    second = envelope_of(publisher, "provisioner.create_account", ("op-4",))
    assert first["headers"]["id"] != second["headers"]["id"]
    assert first["properties"]["delivery_tag"] != second["properties"]["delivery_tag"]


def test_every_operation_kind_has_its_own_task_name() -> None:
    assert set(TASK_FOR_KIND) == set(OperationKind)
    assert len(set(TASK_FOR_KIND.values())) == len(OperationKind)
    assert TASK_FOR_KIND[OperationKind.PURGE] == "provisioner.purge_account"


def test_the_celery_app_routes_to_the_configured_queue_with_late_acks(celery_app: Celery) -> None:
    conf = celery_app.conf
    assert conf.task_default_queue == QUEUE
    assert conf.task_default_routing_key == QUEUE
    assert conf.task_acks_late is True
    assert conf.task_reject_on_worker_lost is True
    assert conf.task_serializer == "json"


def test_a_celery_app_needs_a_redis_url() -> None:
    with pytest.raises(RuntimeError, match="REDIS_URL is not set"):
        create_celery(Settings(redis_url=None, database_url=None))


def test_the_args_are_shown_as_celery_shows_them(publisher: AsyncPublisher) -> None:
    # Flower and `celery inspect` display argsrepr/kwargsrepr; ours are the plain repr.
    headers = envelope_of(publisher, "provisioner.create_account", ("op-3",))["headers"]
    assert headers["argsrepr"] == "('op-3',)"
    assert headers["kwargsrepr"] == "{}"


def test_a_message_from_the_template_is_byte_for_byte_celerys_own(celery_app: Celery) -> None:
    template = MessageTemplate(celery_app, QUEUE, "provisioner.create_account")
    rendered = template.render("0b5f3f0e-3c1d-4c47-9d6e-2a64f1a0c0de")
    envelope = json.loads(rendered)
    ids = {
        "task_id": envelope["headers"]["id"],
        "delivery_tag": envelope["properties"]["delivery_tag"],
    }
    built = task_message(
        celery_app,
        QUEUE,
        "provisioner.create_account",
        ("0b5f3f0e-3c1d-4c47-9d6e-2a64f1a0c0de",),
        **ids,
    )
    assert rendered == built


def test_messages_from_the_template_carry_new_uuid4_ids_each(celery_app: Celery) -> None:
    template = MessageTemplate(celery_app, QUEUE, "provisioner.drop_account")
    first, second = (json.loads(template.render("op-5")) for _ in range(2))
    for envelope in (first, second):
        task_id = uuid.UUID(envelope["headers"]["id"])
        assert task_id.version == 4
        assert str(task_id) == envelope["headers"]["id"]
        assert uuid.UUID(envelope["properties"]["delivery_tag"]).version == 4
    assert first["headers"]["id"] != second["headers"]["id"]
    assert first["properties"]["delivery_tag"] != second["properties"]["delivery_tag"]
    assert json.loads(base64.b64decode(first["body"]))[0] == ["op-5"]
    assert first["headers"]["argsrepr"] == "('op-5',)"
