"""On Spark, a failed dbt test publishes nothing, and the operator is told why.

The data: a player the platform wrote long ago without a signup time, as after a
migration that relaxed the database's NOT NULL ahead of the models. PostgreSQL stores
it; the lake export copies it; the source tests check only recently written players,
so Spark builds `user_activity`, and its own test (`last_active_at` not null) fails:
the run's Spark folder holds a mart a careless load back would publish. The refresh
runs the way operators run it (`scripts/segment_users.py` as a process, a Dagster run
recorded in its instance).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from dagster import DagsterInstance, DagsterRunStatus
from sqlalchemy import Engine, text

from orchestration.lake.spark_env import mart_folder, new_spark_dir
from tests.support.dbt import RunDbt
from tests.support.lake import seed_players, segment_users
from tests.support.published import published_snapshot

pytestmark = pytest.mark.slow

PUBLISHED = (
    "analytics.user_activity",
    "analytics.user_segment",
    "analytics.segment_catalogue",
    "analytics.user_segment_changes",
    "snapshots.user_segment_history",
)
FAILED_TEST = "not_null_user_activity_last_active_at"
BAD_USER_ID = 1000
FAILURE_PREFIX = "segment refresh failed (run "


@pytest.fixture
def users_without_signup_allowed(engine: Engine) -> Iterator[None]:
    """app.users.created_at nullable for the test, restored afterwards."""
    with engine.begin() as connection:
        connection.execute(text("alter table app.users alter column created_at drop not null"))
    yield
    with engine.begin() as connection:
        connection.execute(text("delete from app.users where id = :id"), {"id": BAD_USER_ID})
        connection.execute(text("alter table app.users alter column created_at set not null"))


def published_state(engine: Engine) -> dict[str, Any]:
    """Every published relation's identity and rows (user_activity too, which the load
    back replaces), and any table a load back left half-written."""
    state: dict[str, Any] = dict(published_snapshot(engine, PUBLISHED))
    with engine.connect() as connection:
        state["loading tables"] = connection.scalars(
            text("select tablename from pg_tables where tablename like '%\\_\\_loading'")
        ).all()
    return state


def test_a_failed_dbt_test_on_spark_publishes_nothing(
    engine: Engine,
    run_dbt: RunDbt,
    migrated_database: str,
    tmp_path: Path,
    users_without_signup_allowed: None,
) -> None:
    now = seed_players(engine, migrated_database, 60)
    # What is published before: a build on PostgreSQL (marts, history, change feed).
    run_dbt("build", as_of=now)
    before = published_state(engine)
    assert all(before[relation][0] and before[relation][1] for relation in PUBLISHED)
    with engine.begin() as connection:
        connection.execute(
            text(
                "insert into app.users (id, created_at, last_login_at, updated_at) "
                "values (:id, null, null, :long_ago)"
            ),
            {"id": BAD_USER_ID, "long_ago": now - timedelta(days=60)},
        )

    dagster_home = tmp_path / "dagster"
    refresh = segment_users("spark", [], tmp_path, expect_success=False, dagster_home=dagster_home)

    assert refresh.returncode == 1
    reason = refresh.stderr.strip().splitlines()[-1]
    assert reason.startswith(FAILURE_PREFIX)
    assert f"1 node(s) failed: test.pulse.{FAILED_TEST}" in reason
    failed_checks = reason.split("failed checks: ", 1)[1].split(";", 1)[0].split(", ")
    assert FAILED_TEST in failed_checks
    assert "nothing was published (checked: " in reason
    run_id = reason.removeprefix(FAILURE_PREFIX).split(")", 1)[0]
    spark_dir = new_spark_dir(run_id)
    try:
        # Spark built user_activity, so there was something to load: the failed step
        # stopped the load back and the publish, which never started.
        assert "built spark/analytics/user_activity" in refresh.stderr
        assert list(mart_folder(spark_dir, "user_activity").glob("*.parquet"))
        assert "built spark/analytics/user_segment" not in refresh.stderr
        assert "step spark_load_back started" not in refresh.stderr
        assert "step pulse_publish_models started" not in refresh.stderr
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
