"""Reading one account by name uses the unique index on (organization, name), also in the plan
PostgreSQL caches for the prepared statement (asyncpg prepares every statement)."""

from __future__ import annotations

from sqlalchemy import Engine, text

from service.store.listing import _READ_ACCOUNT

NAME_INDEX = "uq_accounts_org_name_in_use"


def test_the_cached_generic_plan_of_the_account_read_uses_the_name_index(engine: Engine) -> None:
    with engine.connect() as connection:
        connection.execute(text("SET plan_cache_mode = force_generic_plan"))
        connection.exec_driver_sql(f"PREPARE read_one_account(bigint, text) AS {_READ_ACCOUNT.sql}")
        plan = "\n".join(
            row[0]
            for row in connection.exec_driver_sql(
                "EXPLAIN EXECUTE read_one_account(1, 'SOME_ACCOUNT')"
            )
        )
        connection.exec_driver_sql("DEALLOCATE read_one_account")
        connection.rollback()
    assert f"Index Scan using {NAME_INDEX}" in plan, plan
