"""Relay connections: a page of accounts (with its total on demand) and a page of operations."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from service.domain.usage import UsageSeen
from service.store.account_pages import AccountFilter, Page, count_accounts, encode_cursor
from service.web.graphql.context import Context
from service.web.graphql.nodes import AccountEdge, AccountNode, account_node
from service.web.graphql.types import Operation, PageInfo
from service.web.keys import SESSIONS


def _edges(root: AccountConnection) -> list[AccountEdge]:
    """Built only when asked for: a page asked only for its nodes encodes no cursor."""
    return [
        AccountEdge(cursor=encode_cursor(account, root.page.order), node=node)
        for account, node in zip(root.page.accounts, root.nodes, strict=True)
    ]


@strawberry.type(description="A page of accounts.")
class AccountConnection:
    edges: list[AccountEdge] = strawberry.field(resolver=_edges)
    nodes: list[AccountNode]
    page_info: PageInfo
    where: strawberry.Private[AccountFilter]
    page: strawberry.Private[Page]

    @strawberry.field(description="How many accounts match the filter (all pages).")
    async def total_count(self, info: Info[Context, None]) -> int:
        context = info.context
        async with context.request.app[SESSIONS]() as session:
            return await count_accounts(session, context.principal.organization_id, self.where)


def account_connection(
    context: Context, page: Page, usage: dict[int, UsageSeen], where: AccountFilter
) -> AccountConnection:
    nodes = [account_node(context, account, usage.get(account.id)) for account in page.accounts]
    return AccountConnection(
        nodes=nodes,
        page_info=PageInfo(
            has_next_page=page.has_next,
            has_previous_page=page.has_previous,
            start_cursor=page.cursor(0),
            end_cursor=page.cursor(-1),
        ),
        where=where,
        page=page,
    )


@strawberry.type(description="A page of operations, newest first.")
class OperationConnection:
    nodes: list[Operation]
    page_info: PageInfo
