"""A table a run creates gets planner statistics at once; incremental runs leave them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, text

from tests.support.dbt import RunDbt
from tests.support.dbt_data import add_event, add_user

# Each incremental table and the column by which a run reads the rows it wrote.
TABLES_AND_RUN_COLUMNS = (
    ("analytics", "user_activity", "evaluated_at"),
    ("snapshots", "user_segment_history", "dbt_valid_from"),
    ("analytics", "user_segment_changes", "changed_at"),
)


def _statistics(engine: Engine, schema: str, table: str, column: str) -> tuple[int, int, int]:
    """(columns with statistics, the run column's statistics target, times analyzed)."""
    with engine.connect() as connection:
        analyzed_columns = connection.scalar(
            text("select count(*) from pg_stats where schemaname = :schema and tablename = :table"),
            {"schema": schema, "table": table},
        )
        target = connection.scalar(
            text(
                "select attstattarget from pg_attribute "
                "where attrelid = cast(:relation as regclass) and attname = :column"
            ),
            {"relation": f"{schema}.{table}", "column": column},
        )
        analyze_count = connection.scalar(
            text(
                "select analyze_count from pg_stat_user_tables "
                "where schemaname = :schema and relname = :table"
            ),
            {"schema": schema, "table": table},
        )
    return int(analyzed_columns), int(target), int(analyze_count)


def test_new_tables_are_analyzed_once_without_run_column_statistics(
    engine: Engine, run_dbt: RunDbt
) -> None:
    now = datetime.now(UTC)
    add_user(engine, 1, now - timedelta(days=3))
    add_event(engine, 1, "dice_play", now - timedelta(hours=1))
    run_dbt("build")

    first = {}
    for schema, table, column in TABLES_AND_RUN_COLUMNS:
        analyzed_columns, target, analyze_count = _statistics(engine, schema, table, column)
        assert analyzed_columns > 0, f"{table} has no statistics after the build that created it"
        assert target == 0, f"{table}.{column} keeps statistics that describe past runs"
        first[table] = analyze_count

    add_user(engine, 2, now - timedelta(days=1))
    add_event(engine, 1, "login", now - timedelta(minutes=5), received_now=True)
    run_dbt("build")
    for schema, table, column in TABLES_AND_RUN_COLUMNS:
        assert _statistics(engine, schema, table, column)[2] == first[table], (
            f"an incremental run analyzed {table} again"
        )

    # a full refresh creates user_activity anew: the new table is analyzed too
    run_dbt("build", "--full-refresh")
    analyzed_columns, target, _ = _statistics(engine, "analytics", "user_activity", "evaluated_at")
    assert analyzed_columns > 0
    assert target == 0
