"""The mutation root: every REST mutation, through the same use cases and the same accept path
(`service.web.accounts`: one transaction, the Idempotency-Key, commit, then publish)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

import strawberry
from multidict import CIMultiDict
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.permission import BasePermission
from strawberry.types import Info

from service.domain.errors import Internal, NotFound
from service.domain.identifiers import parse_uuid
from service.domain.patches import AccountPatch
from service.domain.roles import Permission
from service.domain.schemas import AccountCreate
from service.store import idempotency
from service.store.account_pages import find_visible
from service.store.operation_reads import get_operation
from service.usecases.accounts import (
    AcceptContext,
    create_account,
    drop_account,
    rotate_credentials,
    undrop_account,
    update_account,
)
from service.web.accounts import UseCase, _accept
from service.web.graphql.context import Context
from service.web.graphql.inputs import (
    AccountIdInput,
    CreateAccountInput,
    DeleteAccountInput,
    UpdateAccountInput,
)
from service.web.graphql.types import Operation
from service.web.keys import SEAL, SESSIONS, SETTINGS
from service.web.operation_view import render_operation
from service.web.passwords import new_password

GraphInfo = Info[Context, None]
IdempotencyKey = Annotated[
    str | None,
    strawberry.argument(
        description="As REST's `Idempotency-Key` header: the same key and request within 24 "
        "hours get the first answer again."
    ),
]


@strawberry.type(description="A drop: `success`, and the queued operation (null: nothing to do).")
class DeleteAccountPayload:
    success: bool
    operation: Operation | None


async def _accepted(
    info: GraphInfo, summary: dict[str, Any], run: UseCase, *, account: str, key: str | None
) -> Operation | None:
    """Accept as REST does; the queued operation, or None when there was nothing to do."""
    context = info.context
    # The accept path reads the key from the request's header: this mutation's key, only.
    headers = CIMultiDict(context.request.headers)
    headers.popall(idempotency.HEADER, None)
    if key is not None:
        headers[idempotency.HEADER] = key
    request = context.request.clone(headers=headers)
    response = await _accept(request, context.principal, summary, run, account=account)
    location = response.headers.get("Location")
    if location is None:
        return None
    async with context.request.app[SESSIONS]() as session:
        row = await get_operation(
            session, context.principal.organization_id, location.rsplit("/", 1)[-1]
        )
    return Operation.of(render_operation(row))


def _queued(operation: Operation | None) -> Operation:
    if operation is None:  # pragma: no cover - only a drop with ifExists has nothing to do
        raise Internal("the mutation queued no operation")
    return operation


async def _name_of(context: Context, account_id: strawberry.ID) -> str | None:
    """The name of the organization's account with this public id, or None."""
    wanted = parse_uuid(str(account_id))
    if wanted is None:
        return None
    async with context.request.app[SESSIONS]() as session:
        account = await find_visible(session, context.principal.organization_id, public_id=wanted)
    return None if account is None else account.name


AccountCall = Callable[[AsyncSession, AcceptContext, str], Awaitable[Any]]


async def _on_account(
    info: GraphInfo,
    account_id: strawberry.ID,
    summary: tuple[str, dict[str, Any]],
    call: AccountCall,
    key: str | None,
) -> Operation:
    """A mutation of one existing account, by its public id; `summary` (the REST summary's
    verb and the rest of it) fingerprints the request for its idempotency key."""
    name = await _name_of(info.context, account_id)
    if name is None:
        raise NotFound(f"account {account_id} does not exist")

    async def run(session: AsyncSession, ctx: AcceptContext) -> Any:
        return await call(session, ctx, name)

    verb, rest = summary
    return _queued(await _accepted(info, {verb: name, **rest}, run, account=name, key=key))


class MayMutate(BasePermission):
    """The token's role may mutate accounts (the request was authorized to read)."""

    def has_permission(self, source: Any, info: GraphInfo, **kwargs: Any) -> bool:
        info.context.require(Permission.MUTATE_ACCOUNTS)
        return True


def _mutation(description: str) -> Any:
    return strawberry.mutation(description=description, permission_classes=[MayMutate])


@strawberry.type
class Mutation:
    @_mutation("Create an account (as `POST /api/v2/accounts`).")
    async def create_account(
        self, info: GraphInfo, input: CreateAccountInput, idempotency_key: IdempotencyKey = None
    ) -> Operation:
        app = info.context.request.app
        settings = app[SETTINGS]
        raw = input.body()
        body = AccountCreate.parse(
            raw,
            regions=settings.regions,
            default_region=settings.default_region,
            region_group=settings.region_group,
        )
        password = new_password(body.admin_password, app[SEAL])

        async def run(session: AsyncSession, ctx: AcceptContext) -> Any:
            return await create_account(session, ctx, body, password)

        summary = {"create": raw}
        return _queued(await _accepted(info, summary, run, account=body.name, key=idempotency_key))

    @_mutation("Change an account (as `PATCH /api/v2/accounts/{name}`).")
    async def update_account(
        self, info: GraphInfo, input: UpdateAccountInput, idempotency_key: IdempotencyKey = None
    ) -> Operation:
        raw = input.patch()
        changes = AccountPatch.parse(raw)
        plans = info.context.request.app[SETTINGS].plans()

        def call(session: AsyncSession, ctx: AcceptContext, name: str) -> Awaitable[Any]:
            return update_account(session, ctx, name, changes, plans)

        summary = ("update", {"patch": raw})
        return await _on_account(info, input.account_id, summary, call, idempotency_key)

    @_mutation(
        "Drop an account (as `DELETE /api/v2/accounts/{name}`); `success` is true when the drop "
        "was queued or, with `ifExists`, there was nothing to drop."
    )
    async def delete_account(
        self, info: GraphInfo, input: DeleteAccountInput, idempotency_key: IdempotencyKey = None
    ) -> DeleteAccountPayload:
        grace, if_exists = input.grace_period_in_days, input.if_exists
        name = await _name_of(info.context, input.account_id)
        if name is None:
            if if_exists:
                return DeleteAccountPayload(success=True, operation=None)
            raise NotFound(f"account {input.account_id} does not exist")

        async def run(session: AsyncSession, ctx: AcceptContext) -> Any:
            return await drop_account(session, ctx, name, grace, if_exists=if_exists)

        summary = {"drop": name, "gracePeriodInDays": grace, "ifExists": if_exists}
        operation = await _accepted(info, summary, run, account=name, key=idempotency_key)
        return DeleteAccountPayload(success=True, operation=operation)

    @_mutation("Undrop a dropped account.")
    async def undrop_account(
        self, info: GraphInfo, input: AccountIdInput, idempotency_key: IdempotencyKey = None
    ) -> Operation:
        summary: tuple[str, dict[str, Any]] = ("undrop", {})
        return await _on_account(info, input.account_id, summary, undrop_account, idempotency_key)

    @_mutation(
        "Rotate the administrator's password; the new one is handed over once by the "
        "operation's `resultLocation`."
    )
    async def rotate_credentials(
        self, info: GraphInfo, input: AccountIdInput, idempotency_key: IdempotencyKey = None
    ) -> Operation:
        password = new_password(None, info.context.request.app[SEAL])

        def call(session: AsyncSession, ctx: AcceptContext, name: str) -> Awaitable[Any]:
            return rotate_credentials(session, ctx, name, password)

        summary: tuple[str, dict[str, Any]] = ("rotateCredentials", {})
        return await _on_account(info, input.account_id, summary, call, idempotency_key)
