"""Relay connections: a page of accounts (with its total on demand) and a page of operations."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from service.store.account_pages import AccountFilter, Page, count_accounts
from service.store.listing import usage_of_accounts
from service.web.graphql.context import Context
from service.web.graphql.nodes import AccountEdge, AccountNode, account_node
from service.web.graphql.types import Operation, PageInfo
from service.web.keys import SESSIONS


@strawberry.type(description="A page of accounts.")
class AccountConnection:
    edges: list[AccountEdge]
    nodes: list[AccountNode]
    page_info: PageInfo
    where: strawberry.Private[AccountFilter]

    @strawberry.field(description="How many accounts match the filter (all pages).")
    async def total_count(self, info: Info[Context, None]) -> int:
        context = info.context
        async with context.request.app[SESSIONS]() as session:
            return await count_accounts(session, context.principal.organization_id, self.where)


async def account_connection(
    context: Context, page: Page, where: AccountFilter
) -> AccountConnection:
    async with context.request.app[SESSIONS]() as session:
        usage = await usage_of_accounts(session, [account.id for account in page.accounts])
    nodes = [account_node(context, account, usage.get(account.id)) for account in page.accounts]
    return AccountConnection(
        edges=[AccountEdge(cursor=c, node=n) for c, n in zip(page.cursors, nodes, strict=True)],
        nodes=nodes,
        page_info=PageInfo(
            has_next_page=page.has_next,
            has_previous_page=page.has_previous,
            start_cursor=page.cursors[0] if page.cursors else None,
            end_cursor=page.cursors[-1] if page.cursors else None,
        ),
        where=where,
    )


@strawberry.type(description="A page of operations, newest first.")
class OperationConnection:
    nodes: list[Operation]
    page_info: PageInfo
