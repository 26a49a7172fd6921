"""The query root: accounts (a Relay connection), one account, operations, editions."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from service.domain.errors import InvalidArgument, NotFound
from service.domain.refs import EXTERNAL_ID_PREFIX, ID_PREFIX, AccountRef, parse_account_ref
from service.store.account_pages import AccountFilter, PageRequest, account_page
from service.store.listing import read_account, usage_of_accounts
from service.store.operation_reads import (
    MAX_LIMIT,
    OperationFilter,
    get_operation,
    list_operations,
)
from service.web.graphql.context import Context
from service.web.graphql.inputs import AccountFilterInput, AccountOrderInput, OperationFilterInput
from service.web.graphql.nodes import AccountNode, account_node
from service.web.graphql.pages import AccountConnection, OperationConnection, account_connection
from service.web.graphql.types import BigInt, EditionLimits, Operation, OrderDirection, PageInfo
from service.web.keys import POOL, SESSIONS, SETTINGS
from service.web.operation_view import render_operation

GraphInfo = Info[Context, None]


async def _one_account(info: GraphInfo, ref: AccountRef) -> AccountNode | None:
    """The account REST's `GET /api/v2/accounts/{ref}` reads, or None where REST says 404."""
    context = info.context
    app = context.request.app
    try:
        account, usage = await read_account(
            app[POOL],
            context.principal.organization_id,
            ref,
            wait_seconds=app[SETTINGS].db_timeout_seconds,
        )
    except NotFound:
        return None
    return account_node(context, account, usage)


@strawberry.type
class Query:
    @strawberry.field(description="The organization's accounts, a page at a time (at most 100).")
    async def accounts(  # noqa: PLR0917 - Relay's four arguments and two more
        self,
        info: GraphInfo,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
        filter: AccountFilterInput | None = None,
        order_by: AccountOrderInput | None = None,
    ) -> AccountConnection:
        context = info.context
        where = filter.condition() if filter else AccountFilter()
        order = order_by or AccountOrderInput()
        request = PageRequest.relay(
            first=first,
            after=after,
            last=last,
            before=before,
            order=order.field,
            descending=order.direction == OrderDirection.DESC,
        )
        # The page and its usage on one connection (one checkout of the pool).
        async with context.request.app[SESSIONS]() as session:
            page = await account_page(session, context.principal.organization_id, where, request)
            usage = await usage_of_accounts(session, [account.id for account in page.accounts])
        return account_connection(context, page, usage, where)

    @strawberry.field(
        description="The account with this public id, or null; an id that is not a UUID is "
        "`invalid_argument` (as REST's `id:` form)."
    )
    async def account(self, info: GraphInfo, id: strawberry.ID) -> AccountNode | None:
        return await _one_account(info, parse_account_ref(ID_PREFIX + str(id), field="id"))

    @strawberry.field(
        description="The account with this external id, or null; an empty or over-long one is "
        "`invalid_argument` (as REST's `externalId:` form)."
    )
    async def account_by_external_id(self, info: GraphInfo, external_id: str) -> AccountNode | None:
        ref = parse_account_ref(EXTERNAL_ID_PREFIX + external_id, field="externalId")
        return await _one_account(info, ref)

    @strawberry.field(
        description="The operation with this handle, or null: the organization's, or one this "
        "token asked for (a fleet admin's move of another organization's account), as REST's."
    )
    async def operation(self, info: GraphInfo, id: strawberry.ID) -> Operation | None:
        principal = info.context.principal
        async with info.context.request.app[SESSIONS]() as session:
            try:
                row = await get_operation(
                    session, principal.organization_id, str(id), token_id=principal.token_id
                )
            except NotFound:
                return None
        return Operation.of(render_operation(row))

    @strawberry.field(description=f"Operations, newest first (at most {MAX_LIMIT} a page).")
    async def operations(
        self,
        info: GraphInfo,
        filter: OperationFilterInput | None = None,
        first: int = 50,
        after: str | None = None,
    ) -> OperationConnection:
        context = info.context
        if not 1 <= first <= MAX_LIMIT:
            raise InvalidArgument(f"first must be between 1 and {MAX_LIMIT}, got {first}")
        conditions = filter.condition() if filter else OperationFilter()
        async with context.request.app[SESSIONS]() as session:
            rows, following = await list_operations(
                session, context.principal.organization_id, conditions, limit=first, cursor=after
            )
        return OperationConnection(
            nodes=[Operation.of(render_operation(row)) for row in rows],
            page_info=PageInfo(
                has_next_page=following is not None,
                has_previous_page=after is not None,
                start_cursor=None,
                end_cursor=following,
            ),
        )

    @strawberry.field(description="Each edition with its limits.")
    def editions(self, info: GraphInfo) -> list[EditionLimits]:
        return [
            EditionLimits(
                name=edition,
                connection_limit=limits.connections,
                storage_limit_bytes=BigInt(limits.storage_bytes),
            )
            for edition, limits in info.context.request.app[SETTINGS].plans().items()
        ]
