"""What every resolver of one GraphQL request shares: the request, the caller, the loaders."""

from __future__ import annotations

from dataclasses import dataclass, field

from aiohttp import web
from strawberry.dataloader import DataLoader

from service.domain.errors import PermissionDenied, RateLimited
from service.domain.roles import Permission, allows
from service.domain.tokens import Principal
from service.store.account_operations import latest_operations
from service.store.operation_reads import OperationRow
from service.web.keys import RATE_LIMITER, SESSIONS

# (internal account id, how many of its newest operations)
OperationsKey = tuple[int, int]


@dataclass
class Context:
    request: web.Request
    principal: Principal
    operations: DataLoader[OperationsKey, list[OperationRow]] = field(init=False)
    mutations: int = 0  # accepted so far in this request

    async def charge_mutation(self) -> None:
        """Each mutation of a request counts as one REST request against the token's rate
        limit (the HTTP request paid for the first), so aliases do not multiply the rate."""
        self.mutations += 1
        if self.mutations == 1:
            return
        wait = await self.request.app[RATE_LIMITER].wait_needed(self.principal.token_id)
        if wait:
            raise RateLimited(
                f"too many requests for this token; retry in {wait} s (each mutation of a "
                "GraphQL request counts as one request)"
            )

    def __post_init__(self) -> None:
        self.operations = DataLoader(self._load_operations)

    def require(self, permission: Permission) -> None:
        """The token's role must allow `permission` (the request was authorized to read)."""
        if not allows(self.principal.role, permission):
            raise PermissionDenied(
                f"role {self.principal.role.value} may not {permission.value.replace('_', ' ')}"
            )

    async def _load_operations(self, keys: list[OperationsKey]) -> list[list[OperationRow]]:
        """One statement for every account of a level, whatever `first` each asked for: the
        most any asked for, each key then taking its own newest `first`."""
        most = max(first for _, first in keys)
        async with self.request.app[SESSIONS]() as session:
            rows = await latest_operations(session, sorted({i for i, _ in keys}), most)
        return [rows[account_id][:first] for account_id, first in keys]
