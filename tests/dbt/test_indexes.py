"""The indexes the readers of the marts rely on exist after a build (and after a rebuild)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import IntegrityError

from tests.support.dbt import RunDbt
from tests.support.dbt_data import add_user


def _indexed_columns(engine: Engine, schema: str, table: str) -> set[tuple[bool, str]]:
    """(is_unique, leading column list) of each index on the table."""
    query = text(
        """
        select index_meta.indisunique, array_to_string(array_agg(attribute.attname
            order by array_position(index_meta.indkey::int2[], attribute.attnum)), ',')
        from pg_index as index_meta
        join pg_class as tables on tables.oid = index_meta.indrelid
        join pg_namespace as schemas on schemas.oid = tables.relnamespace
        join pg_attribute as attribute
            on attribute.attrelid = tables.oid and attribute.attnum = any(index_meta.indkey)
        where schemas.nspname = :schema and tables.relname = :table
        group by index_meta.indexrelid, index_meta.indisunique
        """
    )
    with engine.connect() as connection:
        return {
            (row[0], row[1])
            for row in connection.execute(query, {"schema": schema, "table": table})
        }


def test_marts_and_history_carry_their_lookup_indexes(engine: Engine, run_dbt: RunDbt) -> None:
    add_user(engine, 1, datetime.now(UTC) - timedelta(days=3))
    for command in (("build",), ("build", "--full-refresh")):
        run_dbt(*command)
        activity = _indexed_columns(engine, "analytics", "user_activity")
        assert (True, "user_id") in activity
        assert any(columns.startswith("updated_at") for _, columns in activity)
        assert (False, "evaluated_at") in activity
        # the admin API's lookups by user and pages through a segment's members (the
        # published rows under the view analytics.user_segment)
        assert {(True, "user_id"), (False, "segment,user_id")} <= _indexed_columns(
            engine, "analytics", "user_segment_members"
        )
        history = _indexed_columns(engine, "snapshots", "user_segment_history")
        assert {(False, "user_id,dbt_valid_from"), (False, "dbt_valid_from")} <= history
        # the open versions, one per player (a partial unique index)
        assert (True, "user_id") in history
        changes = _indexed_columns(engine, "analytics", "user_segment_changes")
        # the readers' page order, unique: a change written twice fails the run
        assert (True, "changed_at,change_id") in changes
        assert (False, "user_id") in changes


def test_history_refuses_a_second_open_version(engine: Engine, run_dbt: RunDbt) -> None:
    add_user(engine, 1, datetime.now(UTC) - timedelta(days=3))
    run_dbt("build")
    with engine.begin() as connection:
        connection.execute(
            text(
                "create temporary table version_copy as "
                "select * from snapshots.user_segment_history where dbt_valid_to is null"
            )
        )
        with (
            pytest.raises(IntegrityError, match="user_segment_history_open_version_idx"),
            connection.begin_nested(),
        ):
            connection.execute(
                text("insert into snapshots.user_segment_history select * from version_copy")
            )
        # closed, the same version is history, not a second open one
        connection.execute(text("update version_copy set dbt_valid_to = dbt_valid_from"))
        connection.execute(
            text("insert into snapshots.user_segment_history select * from version_copy")
        )
        assert connection.scalar(text("select count(*) from snapshots.user_segment_history")) == 2
