"""Purge many accounts per transaction: the scan hands due purges out in batches.

One purge at a time costs two transactions, two fsyncs and a dozen statements of bookkeeping
around a driver step that, for a purge, is short; 100 000 due accounts took half an hour that
way. A batch claims its operations in one statement, runs their driver steps one after the
other and records every success in one statement and one durable commit.

The guarantees are those of `execute_operation`: the claim is committed first (attempts + 1, so
a batch whose worker dies is not run again as a batch: its operations are `running` and the
stranded-operation sweep hands each to the one-at-a-time path, which gives up after
MAX_ATTEMPTS); the step holds the operation rows (SKIP LOCKED: a concurrent delivery of one of
them skips, or this batch does); a failure fails only its own operation; a transient failure is
retried one at a time with backoff.
"""

from __future__ import annotations

import dataclasses
import time
import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

import structlog
from sqlalchemy.orm import Session, sessionmaker

from service.domain.account_spec import AccountSpec
from service.domain.lifecycle import OperationKind
from service.store.models import Operation
from service.store.purges import claim_purges, lock_running, record_purged
from service.store.steps import commit_without_waiting_for_disk
from workers.drivers.base import DriverError, ProvisioningDriver, TransientDriverError
from workers.execute import Finished, Outcome, fail_step, log_finished

log = structlog.get_logger(__name__)

# Operations per batch message: small enough that both worker processes get batches early on.
PURGE_BATCH = 100
# A step transaction commits after this long even when the batch is not done: it bounds how
# long the batch's rows stay locked (a real driver's purge takes ~0.1 s per account).
STEP_TRANSACTION_SECONDS = 1.0


@dataclasses.dataclass(frozen=True)
class BatchResult:
    succeeded: int = 0
    failed: int = 0
    retried: int = 0
    skipped: int = 0


# One purge's outcome and how long its driver step took.
StepResult = tuple[uuid.UUID, Finished, float]


def execute_purges(
    sessions: sessionmaker[Session],
    driver: ProvisioningDriver,
    operation_ids: Sequence[uuid.UUID],
    *,
    retry_later: Callable[[uuid.UUID], None],
    pace: Callable[[int], float] = lambda count: 0.0,
) -> BatchResult:
    """Purge the batch's accounts; `retry_later` hands one operation to the one-at-a-time path
    (after this batch's commit) when its step failed transiently, `pace` says how long to wait
    before purging `count` accounts (the cluster-wide purge rate)."""
    started = time.monotonic()
    wait = pace(len(operation_ids))
    if wait > 0:
        time.sleep(wait)
    claimed = _claim(sessions, operation_ids)
    pending, results = list(claimed), list[StepResult]()
    while pending:
        pending = _step(sessions, driver, claimed, pending, results)
    for operation_id, finished, _ in results:
        if finished.outcome is Outcome.RETRY:
            retry_later(operation_id)
    outcomes = Counter(finished.outcome for _, finished, _ in results)
    result = BatchResult(
        succeeded=outcomes[Outcome.SUCCEEDED],
        failed=outcomes[Outcome.FAILED],
        retried=outcomes[Outcome.RETRY],
        skipped=len(operation_ids) - len(results),
    )
    log.info(
        "purges.batch_done",
        duration_ms=round((time.monotonic() - started) * 1000, 1),
        paced_ms=round(wait * 1000, 1),
        **dataclasses.asdict(result),
    )
    return result


def _claim(
    sessions: sessionmaker[Session], operation_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, AccountSpec]:
    """Mark the batch's queued purges running (one more attempt each), with their accounts."""
    with sessions.begin() as session:
        # As in execute_operation: a lost claim only means the sweep hands the purge out again.
        commit_without_waiting_for_disk(session)
        return claim_purges(session, operation_ids)


def _step(
    sessions: sessionmaker[Session],
    driver: ProvisioningDriver,
    claimed: dict[uuid.UUID, AccountSpec],
    pending: list[uuid.UUID],
    results: list[StepResult],
) -> list[uuid.UUID]:
    """One step transaction: purge pending accounts for up to STEP_TRANSACTION_SECONDS, record
    the outcomes, commit and log them; returns the operations still to do."""
    deadline = time.monotonic() + STEP_TRANSACTION_SECONDS
    stepped: list[StepResult] = []
    rest: list[uuid.UUID] = []
    with sessions.begin() as session:
        # Held until the commit; rows taken by another delivery meanwhile are left to it.
        locked = lock_running(session, pending)
        for operation_id in (i for i in pending if i in locked):
            if stepped and time.monotonic() >= deadline:
                rest.append(operation_id)
                continue
            step_started = time.monotonic()
            finished = _purge(driver, claimed[operation_id])
            stepped.append((operation_id, finished, time.monotonic() - step_started))
        done = [i for i, finished, _ in stepped if finished.outcome is Outcome.SUCCEEDED]
        if done:
            record_purged(session, done, datetime.now(UTC))
        for operation_id, finished, _ in stepped:
            if finished.outcome is Outcome.FAILED:
                operation = session.get(Operation, operation_id)
                if operation is not None:
                    fail_step(session, driver, claimed[operation_id], operation, finished.reason)
    for operation_id, finished, seconds in stepped:
        account = claimed[operation_id].name
        with structlog.contextvars.bound_contextvars(
            operation_id=str(operation_id), kind=OperationKind.PURGE.value, account=account
        ):
            log_finished(finished, 1, seconds)  # a batch only runs first attempts
    results += stepped
    return rest


def _purge(driver: ProvisioningDriver, spec: AccountSpec) -> Finished:
    try:
        driver.purge(spec)
    except TransientDriverError as exc:
        return Finished(Outcome.RETRY, str(exc))
    except DriverError as exc:
        return Finished(Outcome.FAILED, str(exc))
    return Finished(Outcome.SUCCEEDED)
