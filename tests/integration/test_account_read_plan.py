"""Reading one account by name, id or external id uses its unique index, also in the plan
PostgreSQL caches for the prepared statement (asyncpg prepares every statement)."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, text

from service.domain.refs import RefKind
from service.store.listing import _READ_ACCOUNT

INDEXES = {
    RefKind.NAME: ("text", "'SOME_ACCOUNT'", "uq_accounts_org_name_in_use"),
    RefKind.ID: ("uuid", "gen_random_uuid()", "uq_accounts_public_id"),
    RefKind.EXTERNAL_ID: ("text", "'crm-1'", "uq_accounts_org_external_id"),
}


@pytest.mark.parametrize("kind", list(RefKind))
def test_the_cached_generic_plan_of_the_account_read_uses_its_index(
    engine: Engine, kind: RefKind
) -> None:
    value_type, value, index = INDEXES[kind]
    with engine.connect() as connection:
        connection.execute(text("SET plan_cache_mode = force_generic_plan"))
        # The test database holds a handful of accounts, which a sequential scan reads cheapest:
        # with it priced out, a Seq Scan left in the plan means no index can serve the statement
        # (a type mismatch, a function on the column), which is what this test is about.
        connection.execute(text("SET enable_seqscan = off"))
        connection.exec_driver_sql(
            f"PREPARE read_one_account(bigint, {value_type}) AS {_READ_ACCOUNT[kind].sql}"
        )
        plan = "\n".join(
            row[0]
            for row in connection.exec_driver_sql(f"EXPLAIN EXECUTE read_one_account(1, {value})")
        )
        connection.exec_driver_sql("DEALLOCATE read_one_account")
        connection.rollback()
    assert "Seq Scan on accounts" not in plan, plan
    if kind == RefKind.NAME:
        # By id or external id, a small test table may be read through the organization's part
        # of the name index instead: both are index scans, one row per organization and value.
        assert f"Index Scan using {index}" in plan, plan
