"""The latest operations of many accounts at once: one statement for any number of accounts."""

from __future__ import annotations

from sqlalchemy import BigInteger, any_, bindparam, func, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession

from service.store.models import Account, Operation, OperationProgress
from service.store.operation_reads import OperationRow


async def latest_operations(
    session: AsyncSession, account_ids: list[int], per_account: int
) -> dict[int, list[OperationRow]]:
    """Each account's newest `per_account` operations, newest first (by internal account id)."""
    found: dict[int, list[OperationRow]] = {account_id: [] for account_id in account_ids}
    if not account_ids or per_account <= 0:
        return found
    rank = (
        func.row_number()
        .over(
            partition_by=Operation.account_id,
            order_by=(Operation.created_at.desc(), Operation.id.desc()),
        )
        .label("rank")
    )
    ranked = (
        select(Operation.id, rank)
        .where(Operation.account_id == any_(bindparam("ids", account_ids, type_=ARRAY(BigInteger))))
        .subquery()
    )
    query = (
        select(Operation, Account.name, OperationProgress.step, Account.public_id)
        .join(ranked, ranked.c.id == Operation.id)
        .join(Account, Account.id == Operation.account_id)
        .outerjoin(OperationProgress, OperationProgress.operation_id == Operation.id)
        .where(ranked.c.rank <= per_account)
        .order_by(Operation.account_id, Operation.created_at.desc(), Operation.id.desc())
    )
    for operation, name, step, public_id in (await session.execute(query)).all():
        found[operation.account_id].append(OperationRow(operation, name, step, public_id))
    return found
