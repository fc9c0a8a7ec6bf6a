"""The same dbt models on PostgreSQL and on Spark give the same marts, row for row.

Demo data (300 players) plus admin overrides; the PostgreSQL build and the Spark
refresh job (lake export, dbt on a local Spark session, load back, publish) are
evaluated at the same as_of, then `user_activity`, `user_segment` and
`segment_catalogue` are compared in a canonical form: instants in UTC, decimals
without trailing zeros. Only `computed_at` and `evaluated_at` (when each run started)
may differ. The lake is given as a `file://` URL, which the export writes through
pyarrow's filesystem and Spark reads.
PULSE_SPARK_METHOD=thrift runs the Spark side on a cluster (`make spark-cluster-test`).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from dagster import DagsterInstance
from dagster_dbt import DbtCliInvocation, DbtCliResource
from sqlalchemy import Engine, text

from orchestration.config import OrchestrationSettings
from orchestration.definitions import build_definitions
from orchestration.jobs import refresh_run_config
from orchestration.project import pulse_dbt_project
from pulse.dbt_env import DBT_EXECUTABLE
from tests.support.dbt import RunDbt
from tests.support.lake import canonical, seed_players
from tests.support.segments import declared_segments, segments_vars

pytestmark = pytest.mark.slow

COMPARED = {
    "user_activity": "select * from analytics.user_activity order by user_id",
    "user_segment": "select * from analytics.user_segment order by user_id",
    "segment_catalogue": "select * from analytics.segment_catalogue order by priority",
}


PLAY_BASED_ENTRY = {
    "name": "LAPSED_ROULETTE_FAN",
    "when": "last_play_at <= as_of - interval '3 days' and roulette_plays >= 10",
    "description": "Players with 10 or more roulette plays who have not played for 3 days.",
    "description_ko": "룰렛을 10번 이상 했지만 3일 동안 게임하지 않은 플레이어.",
}


def read_marts(engine: Engine) -> dict[str, list[dict[str, Any]]]:
    marts: dict[str, list[dict[str, Any]]] = {}
    with engine.connect() as connection:
        for name, query in COMPARED.items():
            marts[name] = [
                {
                    column: canonical(value)
                    for column, value in row._mapping.items()
                    if column not in ("computed_at", "evaluated_at")
                }
                for row in connection.execute(text(query))
            ]
    return marts


def dbt_with_vars(extra_vars: dict[str, Any]) -> DbtCliResource:
    """The refresh's dbt with `--vars` added to every invocation (a declaration to build)."""
    added = ["--vars", json.dumps(extra_vars)]

    class DbtWithVars(DbtCliResource):
        def cli(self, args: Sequence[str], **kwargs: Any) -> DbtCliInvocation:
            return super().cli([*args, *added], **kwargs)

    return DbtWithVars(project_dir=pulse_dbt_project, dbt_executable=str(DBT_EXECUTABLE))


def materialized_counts(result: Any, step: str, metadata_key: str) -> dict[str, int]:
    """The row count each asset of `step` reported, by the asset's last name."""
    return {
        materialization.asset_key.path[-1]: int(materialization.metadata[metadata_key].value)
        for materialization in result.asset_materializations_for_node(step)
    }


def test_postgres_and_spark_build_identical_marts(
    engine: Engine,
    run_dbt: RunDbt,
    migrated_database: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    now = seed_players(engine, migrated_database, 300)
    as_of = now

    # the shipped declaration and one more entry over play columns: a `when` an analyst
    # writes must mean the same on both engines
    entries = declared_segments()
    entries.insert(1, PLAY_BASED_ENTRY)
    declaration = segments_vars(entries)
    run_dbt("build", "--exclude-resource-type", "unit_test", as_of=as_of, vars=declaration)
    on_postgres = read_marts(engine)
    assert len(on_postgres["user_segment"]) == 300
    assert {row["rule"] for row in on_postgres["user_segment"]} >= {"override", "vip", "active"}
    assert any(
        PLAY_BASED_ENTRY["name"] in row["matched_segments"] for row in on_postgres["user_segment"]
    )

    # The lake as a URL, as in production (test_warehouse_switch.py gives a plain folder).
    monkeypatch.setenv("PULSE_LAKE_DIR", (tmp_path / "lake").as_uri())
    monkeypatch.setenv("PULSE_LAKE_EXPORT_LAG_SECONDS", "0")
    spark_defs = build_definitions(OrchestrationSettings(pulse_warehouse="spark"))
    dbt = dbt_with_vars(declaration)
    instance = DagsterInstance.ephemeral()
    try:
        result = spark_defs.resolve_job_def("segment_refresh").execute_in_process(
            run_config=refresh_run_config(
                full_refresh=False, as_of=as_of.isoformat(), warehouse="spark"
            ),
            instance=instance,
            resources={"dbt": dbt},
        )
    finally:
        instance.dispose()
    assert result.success
    assert materialized_counts(result, "lake_export", "rows_exported")["users"] == 300
    declared = len(on_postgres["segment_catalogue"])
    assert materialized_counts(result, "spark_load_back", "dagster/row_count") == {
        "user_activity": 300,
        "user_segment": 300,
        "segment_catalogue": declared,
    }
    on_spark = read_marts(engine)

    for mart in COMPARED:
        differing = [
            (postgres_row, spark_row)
            for postgres_row, spark_row in zip(on_postgres[mart], on_spark[mart], strict=True)
            if postgres_row != spark_row
        ]
        assert not differing, f"{mart}: {len(differing)} rows differ, first: {differing[0]}"

    # the publish gate appended the loaded segments' transitions on PostgreSQL
    with engine.connect() as connection:
        first_appearances = connection.scalar(
            text("select count(*) from analytics.user_segment_changes where from_segment is null")
        )
    assert first_appearances == 300
