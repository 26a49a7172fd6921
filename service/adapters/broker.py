"""The Celery app factory shared by API and workers, the task names, and the async publisher.

The API never calls Celery's own (synchronous) publish on the event loop: it pushes the very
message Celery would send — built by Celery's `as_task_v2` and wrapped the way kombu's Redis
transport wraps it — with an async Redis client.
"""

from __future__ import annotations

import base64
import os
import re
import uuid
from typing import Any

import orjson
from celery import Celery
from redis import Redis as SyncRedis
from redis.asyncio import Redis

from service.domain.identifiers import uuid4_text
from service.domain.lifecycle import OperationKind
from service.settings import Settings

TASK_FOR_KIND: dict[OperationKind, str] = {
    OperationKind.CREATE: "provisioner.create_account",
    OperationKind.DROP: "provisioner.drop_account",
    OperationKind.UNDROP: "provisioner.undrop_account",
    OperationKind.PURGE: "provisioner.purge_account",
    OperationKind.ROTATE: "provisioner.rotate_credentials",
    OperationKind.UPDATE: "provisioner.update_account",
    OperationKind.MOVE: "provisioner.move_account",
}
# One message for many due purges (workers/purges.py); each is also a PURGE operation of its own.
PURGE_BATCH_TASK = "provisioner.purge_accounts"
SCAN_DUE_PURGES = "provisioner.scan_due_purges"
REPUBLISH_STRANDED = "provisioner.republish_stranded"
FORGET_EXPIRED_SECRETS = "provisioner.forget_expired_secrets"
# Redis keys the workers refresh while alive (see workers/heartbeat.py).
WORKER_HEARTBEAT_PREFIX = "provisioner:worker:"


def heartbeat_key(name: str, pid: int) -> str:
    """The heartbeat key of worker process `pid`: two workers started on one host share a name
    (`provisioner@host`) but not a key, so one stopping does not take the other's with it."""
    return f"{WORKER_HEARTBEAT_PREFIX}{name}:{pid}"


# kombu's Redis transport keeps delivered, not yet acknowledged messages in this hash.
UNACKED_KEY = "unacked"


def purge_queue(queue: str) -> str:
    """The queue of purge batches, beside the main one: a mass expiry's thousands of batches
    must not make a create wait behind them (a worker takes from both queues in turn)."""
    return f"{queue}.purges"


def require_redis_url(settings: Settings) -> str:
    if not settings.redis_url:
        raise RuntimeError("REDIS_URL is not set (run `provisioner up` for the embedded default)")
    return settings.redis_url


def create_celery(settings: Settings) -> Celery:
    app = Celery("account_provisioner", broker=require_redis_url(settings), set_as_current=False)
    app.conf.update(
        task_default_queue=settings.queue_name,
        task_default_exchange=settings.queue_name,
        task_default_routing_key=settings.queue_name,
        task_serializer="json",
        accept_content=["json"],
        task_ignore_result=True,
        # PostgreSQL is the source of truth; a message is only a wake-up call for one operation.
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_time_limit=settings.task_time_limit_seconds,
        task_soft_time_limit=max(1, settings.task_time_limit_seconds - 10),
        broker_transport_options={"visibility_timeout": settings.visibility_timeout_seconds},
        broker_connection_retry_on_startup=True,
        worker_hijack_root_logger=False,
        enable_utc=True,
    )
    return app


def task_message(
    celery_app: Celery,
    queue: str,
    task_name: str,
    args: tuple[Any, ...],
    *,
    task_id: str | None = None,
    delivery_tag: str | None = None,
) -> bytes:
    """The Redis list entry kombu would write for `send_task(task_name, args)`."""
    task_id = task_id or str(uuid.uuid4())
    # Our args are a few plain strings: their repr is the argsrepr; Celery's own (saferepr)
    # would take three quarters of the time this function takes.
    headers, properties, body, _ = celery_app.amqp.as_task_v2(
        task_id, task_name, args=args, argsrepr=repr(args), kwargsrepr="{}"
    )
    # The JSON kombu's "json" serializer writes (orjson: a third of the time of kombu's dumps).
    envelope = {
        "body": base64.b64encode(orjson.dumps(body)).decode(),
        "content-encoding": "utf-8",
        "content-type": "application/json",
        "headers": headers,
        "properties": {
            **properties,
            "delivery_mode": 2,
            "priority": 0,
            "body_encoding": "base64",
            "delivery_tag": delivery_tag or str(uuid.uuid4()),
            "delivery_info": {"exchange": queue, "routing_key": queue},
        },
    }
    return orjson.dumps(envelope)


def publish_batch(
    celery_app: Celery, redis: SyncRedis, queue: str, items: list[tuple[OperationKind, uuid.UUID]]
) -> None:
    """Publish many operations in one pipelined round trip (Celery's own publish costs ~0.8 ms
    of CPU and a round trip per message: 100 000 purges would wait over a minute for it)."""
    push_tasks(
        celery_app,
        redis,
        queue,
        [(TASK_FOR_KIND[kind], (str(operation_id),)) for kind, operation_id in items],
    )


def push_tasks(
    celery_app: Celery, redis: SyncRedis, queue: str, tasks: list[tuple[str, tuple[Any, ...]]]
) -> None:
    """Push one message per (task name, args) in one pipelined round trip."""
    pipeline = redis.pipeline(transaction=False)
    for task_name, args in tasks:
        pipeline.lpush(queue, task_message(celery_app, queue, task_name, args))
    pipeline.execute()


# Stand-ins written into a template where each message puts its own values.
_TASK_ID = "00000000-7a5c-4d1d-8000-1d0000000001"
_DELIVERY_TAG = "00000000-7a5c-4d1d-8000-7a9000000002"
_ARGUMENT = "00000000-7a5c-4d1d-8000-a79000000003"


class MessageTemplate:
    """The message of a task that takes one id, built once by Celery (`task_message`); a
    message then only fills in its ids. Building each one through Celery cost ~30 µs."""

    def __init__(self, celery_app: Celery, queue: str, task_name: str) -> None:
        # Celery's body, [args, kwargs, embedded options], as task_message writes it.
        _, _, celery_body, _ = celery_app.amqp.as_task_v2(
            _TASK_ID, task_name, args=(_ARGUMENT,), argsrepr="", kwargsrepr="{}"
        )
        self._body_prefix, self._body_suffix = orjson.dumps(celery_body).split(_ARGUMENT.encode())
        sample = task_message(
            celery_app,
            queue,
            task_name,
            (_ARGUMENT,),
            task_id=_TASK_ID,
            delivery_tag=_DELIVERY_TAG,
        ).decode()
        body = base64.b64encode(self._body(_ARGUMENT)).decode()
        if sample.count(body) != 1:
            raise RuntimeError(f"{task_name}: Celery's message body is not the one expected")
        # Literal text and the slots between it, in order: the task id, the delivery tag, the
        # argument (in argsrepr) and the base64 body.
        slots = {_TASK_ID: "id", _DELIVERY_TAG: "tag", _ARGUMENT: "argument", body: "body"}
        pieces = re.split("(" + "|".join(map(re.escape, slots)) + ")", sample)
        self._literals = [piece.encode() for piece in pieces[0::2]]
        self._slots = [slots[piece] for piece in pieces[1::2]]

    def _body(self, argument: str) -> bytes:
        return self._body_prefix + argument.encode() + self._body_suffix

    def render(self, argument: str) -> bytes:
        """The message for `argument` (a plain id: nothing in it needs escaping in JSON),
        with a new task id and delivery tag."""
        # New random ids, as Celery's uuid4() would draw them, from one read of the OS's source.
        bits = int.from_bytes(os.urandom(32))
        values = {
            "id": uuid4_text(bits >> 128).encode(),
            "tag": uuid4_text(bits).encode(),
            "argument": argument.encode(),
            "body": base64.b64encode(self._body(argument)),
        }
        out = [self._literals[0]]
        for slot, literal in zip(self._slots, self._literals[1:], strict=True):
            out.append(values[slot])
            out.append(literal)
        return b"".join(out)


class AsyncPublisher:
    """Publishes task messages from the event loop through an async Redis client."""

    def __init__(self, celery_app: Celery, redis: Redis, queue: str) -> None:
        self._celery = celery_app
        self._redis = redis
        self._queue = queue
        # Built on first use, in the process that publishes (Celery's origin names it).
        self._templates: dict[str, MessageTemplate] = {}

    def template(self, task_name: str) -> MessageTemplate:
        template = self._templates.get(task_name)
        if template is None:
            template = MessageTemplate(self._celery, self._queue, task_name)
            self._templates[task_name] = template
        return template

    def message(self, task_name: str, args: tuple[Any, ...]) -> bytes:
        return task_message(self._celery, self._queue, task_name, args)

    async def enqueue(self, kind: OperationKind, operation_id: uuid.UUID) -> None:
        await self.enqueue_many(kind, [operation_id])

    async def enqueue_many(self, kind: OperationKind, operation_ids: list[uuid.UUID]) -> None:
        """One message per operation, all in one LPUSH (one round trip)."""
        template = self.template(TASK_FOR_KIND[kind])
        messages = [template.render(str(operation_id)) for operation_id in operation_ids]
        await self._redis.lpush(self._queue, *messages)
