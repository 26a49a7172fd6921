"""`GET /api/v2/editions`: the plan table the driver applies."""

from __future__ import annotations

from service.domain.roles import Role
from service.settings import Settings
from tests.conftest import Tenant
from tests.integration.api import Client


async def test_every_edition_is_listed_with_its_limits(
    client: Client, tenant: Tenant, settings: Settings
) -> None:
    response = await client.get("/api/v2/editions", headers=tenant.headers(Role.VIEWER))
    assert response.status == 200
    assert await response.json() == [
        {
            "name": name,
            "connection_limit": settings.edition_connection_limits[name],
            "storage_limit_bytes": int(settings.edition_storage_limits[name]),
        }
        for name in ("STANDARD", "ENTERPRISE", "BUSINESS_CRITICAL")
    ]
    assert (await client.get("/api/v2/editions")).status == 401
