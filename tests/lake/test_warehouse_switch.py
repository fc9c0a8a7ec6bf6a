"""PULSE_WAREHOUSE=spark: the same script, jobs and dry run, on the Spark path.

`scripts/segment_users.py` runs as a real process on each engine, on the same data
and at the same as_of; the published segments must be identical. A dry run on Spark
must then leave every published row as it was. The Spark definitions themselves
(lineage, job selection, run config, the overlap guard) are checked in process.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from dagster import AssetKey, DagsterInstance, Definitions
from sqlalchemy import Engine, text

from orchestration.assets.dbt import REFRESH_LOCK
from orchestration.config import OrchestrationSettings
from orchestration.definitions import build_definitions
from orchestration.jobs import refresh_run_config
from orchestration.resources import PulseDatabase
from tests.support.dbt import RunDbt
from tests.support.lake import canonical, seed_players, segment_users

PUBLISHED = (
    "select user_id, segment, rule, last_active_at, deposit_30d, created_at, as_of, "
    "override_reason, override_expires_at, computed_at from analytics.user_segment "
    "order by user_id"
)


@pytest.fixture(scope="module")
def spark_defs() -> Definitions:
    return build_definitions(OrchestrationSettings(pulse_warehouse="spark"))


def published(engine: Engine, *, with_computed_at: bool = False) -> list[dict[str, Any]]:
    with engine.connect() as connection:
        return [
            {
                column: canonical(value)
                for column, value in row._mapping.items()
                if with_computed_at or column != "computed_at"
            }
            for row in connection.execute(text(PUBLISHED))
        ]


def test_spark_lineage_reads_app_tables_lake_spark_then_postgres_marts(
    spark_defs: Definitions,
) -> None:
    graph = spark_defs.get_repository_def().asset_graph

    def parents(*path: str) -> set[AssetKey]:
        return set(graph.get(AssetKey(list(path))).parent_keys)

    assert parents("lake", "activity_events") == {AssetKey(["app", "activity_events"])}
    assert AssetKey(["lake", "users"]) in parents("spark", "staging", "stg_app__users")
    assert parents("analytics", "user_segment") == {
        AssetKey(["spark", "analytics", "user_segment"])
    }
    # then the rows to publish, compared on PostgreSQL with the published rows and history
    assert AssetKey(["analytics", "user_segment"]) in parents(
        "analytics_candidate", "user_segment_updates"
    )
    # dbt tests on Spark are asset checks of the Spark-built models
    checks = {key.asset_key for key in graph.asset_check_keys}
    assert AssetKey(["spark", "analytics", "user_activity"]) in checks
    # both refresh jobs take the whole Spark path and the publish step
    for name in ("segment_refresh", "segment_full_refresh"):
        selected = spark_defs.resolve_job_def(name).asset_layer.selected_asset_keys
        assert {
            AssetKey(["lake", "ranking_snapshots"]),
            AssetKey(["spark", "analytics", "user_segment"]),
            AssetKey(["analytics", "user_segment"]),
            AssetKey(["analytics_candidate", "user_segment_updates"]),
        } <= selected


def test_refresh_run_config_targets_the_configured_engine() -> None:
    on_spark = refresh_run_config(full_refresh=True, as_of="2026-11-01", warehouse="spark")
    assert set(on_spark["ops"]) == {"pulse_spark_models", "pulse_publish_models"}  # type: ignore[arg-type]
    on_postgres = refresh_run_config(full_refresh=False, warehouse="postgres")
    assert on_postgres == {"ops": {"pulse_dbt_models": {"config": {"full_refresh": False}}}}


def test_spark_refresh_never_overlaps_a_running_one(
    spark_defs: Definitions, migrated_database: str
) -> None:
    with PulseDatabase().exclusive(REFRESH_LOCK):
        result = spark_defs.resolve_job_def("segment_refresh").execute_in_process(
            run_config=refresh_run_config(full_refresh=False, warehouse="spark"),
            instance=DagsterInstance.ephemeral(),
            raise_on_error=False,
        )
    assert not result.success
    failure = next(event for event in result.all_events if event.is_step_failure)
    assert failure.step_key == "lake_export"
    assert "another segment refresh is running" in str(failure.event_specific_data.error)


@pytest.mark.slow
def test_segment_users_publishes_the_same_segments_on_both_engines(
    engine: Engine, run_dbt: RunDbt, migrated_database: str, tmp_path: Path
) -> None:
    now = seed_players(engine, migrated_database, 300)
    as_of = now.isoformat()
    # the membership history exists before the replays (which leave it alone)
    run_dbt("build", as_of=now)

    on_postgres_run = segment_users("postgres", ["--as-of", as_of], tmp_path)
    on_postgres = published(engine)
    on_spark_run = segment_users("spark", ["--as-of", as_of], tmp_path)
    on_spark = published(engine)

    assert "built lake/activity_events" in on_spark_run.stderr
    assert "built spark/analytics/user_segment" in on_spark_run.stderr
    assert "lake/" not in on_postgres_run.stderr
    assert (
        json.loads(on_spark_run.stdout)["segments"]
        == json.loads(on_postgres_run.stdout)["segments"]
    )
    assert len(on_spark) == 300
    differing = [pair for pair in zip(on_postgres, on_spark, strict=True) if pair[0] != pair[1]]
    assert not differing, f"{len(differing)} rows differ, first: {differing[0]}"

    # A dry run on Spark, at another moment (players move), publishes nothing.
    before = published(engine, with_computed_at=True)
    earlier = (now - timedelta(days=10)).isoformat()
    dry_run = segment_users("spark", ["--dry-run", "--as-of", earlier], tmp_path)
    report = json.loads(dry_run.stdout)
    assert report["dry_run"] is True and report["total_users"] == 300
    assert report["total_moving"] > 0
    assert published(engine, with_computed_at=True) == before
    with engine.connect() as connection:
        proposed_as_of = connection.scalar(
            text("select max(as_of) from dryrun_analytics_candidate.user_segment")
        )
    assert proposed_as_of == datetime.fromisoformat(earlier)
