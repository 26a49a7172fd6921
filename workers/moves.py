"""A move operation's step: `run_move` from the account's cluster to the target, resumed after
the last step a worker finished, and what ending a move does to the registry's counters."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import structlog
from psycopg import sql
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from service.domain.account_spec import AccountSpec
from service.domain.tenants import connection_url
from service.store import moves as store
from service.store.models import Operation
from service.usecases.operations import DriverOutcome
from workers.drivers import ClusterRouter, FaultInjectingDriver, ProvisioningDriver
from workers.drivers.base import DriverError, TransientDriverError
from workers.drivers.moving import (
    MOVE_STEPS,
    POINT_OF_NO_RETURN,
    AccountMover,
    MoveSpec,
    MoveStep,
    run_move,
)
from workers.drivers.tenant_cluster import connect, role_exists

log = structlog.get_logger(__name__)
_OPENED = MOVE_STEPS.index(POINT_OF_NO_RETURN)


def _router(driver: ProvisioningDriver) -> ClusterRouter:
    inner = driver.inner if isinstance(driver, FaultInjectingDriver) else driver
    if not isinstance(inner, ClusterRouter):
        raise DriverError("moving an account needs the postgres driver and the cluster registry")
    return inner


def move_step(
    sessions: sessionmaker[Session], driver: ProvisioningDriver, operation: Operation
) -> Callable[[AccountSpec], DriverOutcome]:
    """The step of a move operation, for `execute`: its outcome carries the target's URLs."""
    operation_id, account_id = operation.id, operation.account_id
    source, target = str(operation.request["from"]), str(operation.request["cluster"])

    def step(account: AccountSpec) -> DriverOutcome:
        router = _router(driver)
        source_url = router.open_address(source)[0]
        target_url, host, port = router.open_address(target)
        spec = _move_spec(account)
        mover = AccountMover(source_url, target_url)
        url = connection_url(account.tenant_role, host, port, account.tenant_database)

        def cut_over(session: Session) -> None:
            store.switch_cluster(session, account_id, target, url)

        _resume(
            sessions,
            operation_id,
            mover,
            spec,
            thaw=lambda: _thaw(source_url, spec),
            cut_over=cut_over,
        )
        return DriverOutcome(account_url=url, account_locator_url=url)

    return step


def _resume(
    sessions: sessionmaker[Session],
    operation_id: uuid.UUID,
    mover: AccountMover,
    spec: MoveSpec,
    *,
    thaw: Callable[[], None],
    cut_over: Callable[[Session], None],
) -> None:
    """Run the steps after the last one recorded. A failure before `open` was rolled back by
    `run_move`: the record is forgotten, so a retry starts over from `prepare`. `open` is
    recorded with the cut-over (`cut_over`: the control database names the target) in one
    transaction; from then on a failure (of `retire`) is retried and never fails the move."""
    with sessions() as session:
        done = store.done_step(session, operation_id)
    finished = -1 if done is None else MOVE_STEPS.index(MoveStep(done))
    if finished == len(MOVE_STEPS) - 1:
        return

    def record(step: MoveStep) -> None:
        nonlocal finished
        finished = MOVE_STEPS.index(step)
        with sessions.begin() as session:
            if step is POINT_OF_NO_RETURN:
                cut_over(session)
            store.note_done(session, operation_id, step.value)

    try:
        run_move(mover, spec, start=MOVE_STEPS[finished + 1], done=record)
    except DriverError as exc:
        if finished >= _OPENED:  # cut over: retried; given up, the move succeeds with a warning
            raise TransientDriverError(f"retiring the source cluster failed: {exc}") from exc
        if finished + 1 >= _OPENED:
            raise  # `open` is retried; given up, `roll_back_given_up` undoes the move
        thaw()
        with sessions.begin() as session:
            store.forget_move(session, operation_id)
        raise


def _move_spec(account: AccountSpec) -> MoveSpec:
    return MoveSpec(account.tenant_database, account.tenant_role, account.enabled, account.progress)


def roll_back_given_up(
    session: Session, driver: ProvisioningDriver, operation: Operation, account: AccountSpec
) -> None:
    """A move given up before its cut-over with steps still recorded (`open` failing until the
    last attempt, every worker lost): rolled back, so the source serves the account again. No
    record: `run_move` rolled back already. Should the roll-back fail, the login is let in on
    the source all the same (the target never let it in: its cut-over was not recorded)."""
    if store.done_step(session, operation.id) is None:
        return
    spec = _move_spec(account)
    source_url = ""
    try:
        router = _router(driver)
        source_url = router.open_address(str(operation.request["from"]))[0]
        target_url = router.open_address(str(operation.request["cluster"]))[0]
        AccountMover(source_url, target_url).roll_back(spec)
    except DriverError as exc:
        log.error("account_move.roll_back_failed", step="given up", error=str(exc))
        if source_url:
            _thaw(source_url, spec)
    else:
        log.warning("account_move.rolled_back", step="given up", database=spec.database)


def _thaw(source_url: str, spec: MoveSpec) -> None:
    """Let the login in again on the source, should `roll_back` have failed (it needs both
    clusters: the target may be down). Before `open` the target never let the login in, so the
    source is the account's only usable copy."""
    if not spec.login:
        return
    conninfo = make_url(source_url).set(drivername="postgresql")
    try:
        with connect(conninfo.render_as_string(hide_password=False), "") as source:
            if role_exists(source, spec.role):
                source.execute(sql.SQL("ALTER ROLE {} LOGIN").format(sql.Identifier(spec.role)))
    except DriverError as exc:
        log.error("account_move.thaw_failed", error=str(exc))


def cut_over_done(session: Session, operation: Operation) -> bool:
    """Whether the move's cut-over was recorded: the control database names the target."""
    done = store.done_step(session, operation.id)
    return done is not None and MOVE_STEPS.index(MoveStep(done)) >= _OPENED


def leftover_warning(operation: Operation, reason: str) -> str:
    """Said in the result of a move that cut over but could not retire the source (logged as
    `account_move.source_left_over` for the operator to clean up)."""
    source = str(operation.request["from"])
    log.error("account_move.source_left_over", cluster=source, reason=reason)
    return (
        f"the account lives on cluster {operation.request['cluster']}; its database or login "
        f"was left on cluster {source} for an operator to drop: {reason}"
    )


def end_move(session: Session, operation: Operation) -> None:
    """The move ended (the caller's transaction finishes the operation): the target's slot held
    since the accept is released, unless the cut-over released it already (the account's own
    row counts it there since)."""
    session.flush()  # the account's new cluster first: the trigger locks clusters in name order
    if not cut_over_done(session, operation):
        store.release_slot(session, str(operation.request["cluster"]))
    store.forget_move(session, operation.id)
