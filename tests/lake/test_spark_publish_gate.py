"""On Spark, a failed dbt test publishes nothing, and the operator is told why.

The data: an admin override with a segment the dbt project does not know (`WHALE`),
as after a migration that widened the database's segment list ahead of the models.
PostgreSQL stores it; the lake export copies it; on Spark the accepted_values test of
`stg_app__segment_overrides` fails. `user_activity` does not depend on the overrides,
so Spark builds it and its tests pass: the run's Spark folder holds a mart a careless
load back would publish. The refresh runs the way operators run it
(`scripts/segment_users.py` as a process, a Dagster run recorded in its instance).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from dagster import DagsterInstance, DagsterRunStatus
from sqlalchemy import Engine, text

from orchestration.lake.spark_env import mart_folder, new_spark_dir
from scripts.generate_demo_data import generate
from tests.dbt.conftest import RunDbt
from tests.lake.test_spark_equality import add_overrides
from tests.lake.test_warehouse_switch import segment_users

pytestmark = pytest.mark.slow

PUBLISHED = (
    "analytics.user_activity",
    "analytics.user_segment",
    "analytics.user_segment_changes",
    "snapshots.user_segment_history",
)
FAILED_TEST = "accepted_values_stg_app__segment_overrides_segment"
FAILURE_PREFIX = "segment refresh failed (run "


@pytest.fixture
def unknown_segments_allowed(engine: Engine) -> Iterator[None]:
    """app.segment_overrides without its segment check for the test, restored afterwards."""
    with engine.begin() as connection:
        name, check = connection.execute(
            text(
                "select conname, pg_get_constraintdef(oid) from pg_constraint "
                "where conrelid = 'app.segment_overrides'::regclass and contype = 'c' "
                "and pg_get_constraintdef(oid) like '%VIP%'"
            )
        ).one()
        connection.execute(text(f'alter table app.segment_overrides drop constraint "{name}"'))
    yield
    with engine.begin() as connection:
        connection.execute(text("delete from app.segment_overrides where segment = 'WHALE'"))
        connection.execute(
            text(f'alter table app.segment_overrides add constraint "{name}" {check}')
        )


def published_state(engine: Engine) -> dict[str, Any]:
    """Every published relation's identity (its oid changes on a swap) and rows."""
    state: dict[str, Any] = {}
    with engine.connect() as connection:
        for relation in PUBLISHED:
            oid = connection.scalar(text("select to_regclass(:name)::oid"), {"name": relation})
            rows = sorted(
                (tuple(row) for row in connection.execute(text(f"select * from {relation}"))),
                key=repr,
            )
            state[relation] = (oid, rows)
        state["loading tables"] = connection.scalars(
            text("select tablename from pg_tables where tablename like '%\\_\\_loading'")
        ).all()
    return state


def test_a_failed_dbt_test_on_spark_publishes_nothing(
    engine: Engine,
    run_dbt: RunDbt,
    migrated_database: str,
    tmp_path: Path,
    unknown_segments_allowed: None,
) -> None:
    with engine.begin() as connection:
        connection.execute(text("delete from app.lake_export_watermarks"))
    generate(migrated_database, 60, 20.0, 2.5, 90, 0.42)
    now = datetime.now(UTC).replace(microsecond=0)
    add_overrides(engine, now)
    # What is published before: a build on PostgreSQL (marts, history, change feed).
    run_dbt("build", as_of=now)
    before = published_state(engine)
    assert all(before[relation][0] and before[relation][1] for relation in PUBLISHED)
    with engine.begin() as connection:
        connection.execute(
            text(
                "insert into app.segment_overrides (user_id, segment, reason, created_by) "
                "values (10, 'WHALE', 'new top tier', 'ops')"
            )
        )

    dagster_home = tmp_path / "dagster"
    refresh = segment_users("spark", [], tmp_path, expect_success=False, dagster_home=dagster_home)

    assert refresh.returncode == 1
    reason = refresh.stderr.strip().splitlines()[-1]
    assert reason.startswith(FAILURE_PREFIX)
    assert f"1 node(s) failed: test.pulse.{FAILED_TEST}" in reason
    assert f"failed checks: {FAILED_TEST}" in reason
    assert reason.endswith("published user_segment left unchanged")
    run_id = reason.removeprefix(FAILURE_PREFIX).split(")", 1)[0]
    spark_dir = new_spark_dir(run_id)
    try:
        # Spark built user_activity, so there was something to load: the failed step
        # stopped the load back and the history, which never started.
        assert "built spark/analytics/user_activity" in refresh.stderr
        assert list(mart_folder(spark_dir, "user_activity").glob("*.parquet"))
        assert "built spark/analytics/user_segment" not in refresh.stderr
        assert "step spark_load_back started" not in refresh.stderr
        assert "step pulse_history_models started" not in refresh.stderr
    finally:
        shutil.rmtree(spark_dir, ignore_errors=True)

    assert published_state(engine) == before
    # The run is recorded as failed: what the UI shows and the run-failure alert reads.
    instance = DagsterInstance.from_config(str(dagster_home))
    try:
        run = instance.get_run_by_id(run_id)
        assert run is not None and run.status == DagsterRunStatus.FAILURE
    finally:
        instance.dispose()
