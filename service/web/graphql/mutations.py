"""The mutation root: every REST mutation, through the same use cases and the same accept path
(`service.web.accounts`: one transaction, the Idempotency-Key, commit, then publish)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any, ClassVar

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.permission import BasePermission
from strawberry.types import Info

from service.domain.errors import Internal
from service.domain.identifiers import parse_uuid
from service.domain.patches import AccountPatch
from service.domain.refs import AccountRef, parse_account_ref
from service.domain.roles import Permission
from service.domain.schemas import AccountCreate
from service.store.operation_reads import get_operation
from service.usecases.accounts import (
    AcceptContext,
    create_account,
    drop_account,
    rotate_credentials,
    undrop_account,
    update_account,
)
from service.usecases.purge_now import purge_account
from service.web.accounts import UseCase, accept_mutation
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
    await context.charge_mutation()
    answer = await accept_mutation(
        context.request, context.principal, summary, run, account=account, key=key
    )
    location = answer.headers.get("Location")
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


def _ref(account_id: strawberry.ID) -> AccountRef:
    """The account an `accountId` names: its id (a UUID), or REST's forms (`id:<uuid>`,
    `externalId:<value>`, a name)."""
    public_id = parse_uuid(str(account_id))
    if public_id is not None:
        return AccountRef.by_id(public_id)
    return parse_account_ref(str(account_id), field="accountId")


AccountCall = Callable[[AsyncSession, AcceptContext, AccountRef], Awaitable[Any]]


async def _on_account(
    info: GraphInfo,
    account_id: strawberry.ID,
    call: AccountCall,
    key: str | None,
    verb: str,
    **summary: Any,
) -> Operation | None:
    """A mutation of one account; `verb` and `summary` make REST's summary of the request,
    which fingerprints it for its idempotency key."""
    ref = _ref(account_id)

    async def run(session: AsyncSession, ctx: AcceptContext) -> Any:
        return await call(session, ctx, ref)

    return await _accepted(info, {verb: str(ref), **summary}, run, account=str(ref), key=key)


class MayMutate(BasePermission):
    """The token's role may mutate accounts (the request was authorized to read)."""

    needs: ClassVar[Permission] = Permission.MUTATE_ACCOUNTS

    def has_permission(self, source: Any, info: GraphInfo, **kwargs: Any) -> bool:
        info.context.require(self.needs)
        return True


class MayPurge(MayMutate):
    needs = Permission.PURGE_ACCOUNTS


def _mutation(description: str, may: type[MayMutate] = MayMutate) -> Any:
    return strawberry.mutation(description=description, permission_classes=[may])


# Each mutation's answer is nullable: a refused one is null beside its error, and the others of
# the request keep their answers (a non-null field's error would null every answer, hiding
# operations that were accepted).
@strawberry.type
class Mutation:
    @_mutation("Create an account (as `POST /api/v2/accounts`).")
    async def create_account(
        self, info: GraphInfo, input: CreateAccountInput, idempotency_key: IdempotencyKey = None
    ) -> Operation | None:
        app = info.context.request.app
        settings = app[SETTINGS]
        raw = input.body()
        # Regions are the tenant cluster registry's: placement refuses an unknown one.
        body = AccountCreate.parse(
            raw,
            regions=None,
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
    ) -> Operation | None:
        raw = input.patch()
        changes = AccountPatch.parse(raw)
        plans = info.context.request.app[SETTINGS].plans()

        def call(session: AsyncSession, ctx: AcceptContext, ref: AccountRef) -> Awaitable[Any]:
            return update_account(session, ctx, ref, changes, plans)

        operation = await _on_account(
            info, input.account_id, call, idempotency_key, "update", patch=raw
        )
        return _queued(operation)

    @_mutation(
        "Drop an account (as `DELETE /api/v2/accounts/{name}`); `success` is true when the drop "
        "was queued or, with `ifExists`, there was nothing to drop."
    )
    async def delete_account(
        self, info: GraphInfo, input: DeleteAccountInput, idempotency_key: IdempotencyKey = None
    ) -> DeleteAccountPayload | None:
        grace, if_exists = input.grace_period_in_days, input.if_exists

        def call(session: AsyncSession, ctx: AcceptContext, ref: AccountRef) -> Awaitable[Any]:
            return drop_account(session, ctx, ref, grace, if_exists=if_exists)

        operation = await _on_account(
            info,
            input.account_id,
            call,
            idempotency_key,
            "drop",
            gracePeriodInDays=grace,
            ifExists=if_exists,
        )
        return DeleteAccountPayload(success=True, operation=operation)

    @_mutation("Undrop a dropped account.")
    async def undrop_account(
        self, info: GraphInfo, input: AccountIdInput, idempotency_key: IdempotencyKey = None
    ) -> Operation | None:
        account_id = input.account_id
        return _queued(
            await _on_account(info, account_id, undrop_account, idempotency_key, "undrop")
        )

    @_mutation(
        "Rotate the administrator's password; the new one is handed over once by the "
        "operation's `resultLocation`."
    )
    async def rotate_credentials(
        self, info: GraphInfo, input: AccountIdInput, idempotency_key: IdempotencyKey = None
    ) -> Operation | None:
        password = new_password(None, info.context.request.app[SEAL])

        def call(session: AsyncSession, ctx: AcceptContext, ref: AccountRef) -> Awaitable[Any]:
            return rotate_credentials(session, ctx, ref, password)

        account_id = input.account_id
        return _queued(
            await _on_account(info, account_id, call, idempotency_key, "rotateCredentials")
        )

    @_mutation(
        "Purge a DROPPED account now, before its grace period ends (admins only; as "
        "`POST /api/v2/accounts/{name}:purge`).",
        MayPurge,
    )
    async def purge_account(
        self, info: GraphInfo, input: AccountIdInput, idempotency_key: IdempotencyKey = None
    ) -> Operation | None:
        account_id = input.account_id
        return _queued(await _on_account(info, account_id, purge_account, idempotency_key, "purge"))
