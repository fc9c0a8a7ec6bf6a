"""The dry run: build user_segment into the `dryrun_` schemas and report the transitions.

A dry run may build a proposed segment declaration instead of the one in
dbt_project.yml (passed to dbt as var pulse__segments): the report then shows what
publishing that declaration would change, and nothing is edited or published.

A job of its own (not an asset materialization), so a dry run is recorded in the
instance and visible in the UI without ever counting as a publish of
`user_segment`: freshness and lineage keep describing the published table.

With PULSE_WAREHOUSE=spark the dry run exports the lake's new rows, builds on Spark
into the `dryrun_` databases, and loads only `user_segment` into PostgreSQL's
`dryrun_analytics_candidate`, where the comparison reads it.
"""

import json
import shutil
from pathlib import Path
from typing import Any

from dagster import Config, Failure, OpExecutionContext, job, op
from dagster_dbt import DbtCliInvocation, DbtCliResource

from orchestration.config import get_orchestration_settings
from orchestration.dbt_args import (
    DRY_RUN_SCHEMA_PREFIX,
    dbt_as_of_environment,
    dbt_build_args,
    normalize_as_of,
)
from orchestration.dbt_failures import failure_summary
from orchestration.lake.export import export_lake, lake_dir
from orchestration.lake.load_back import LOADED_MARTS, load_mart
from orchestration.lake.spark_env import mart_folder, new_spark_dir, spark_environment
from orchestration.project import pulse_dbt_project
from orchestration.resources import PulseDatabase, dbt_under_lock
from orchestration.transitions import segment_transitions

DRY_RUN_LOCK = "segment dry run"
# dbt log events worth a line in the run's log: one per finished model and test.
PROGRESS_EVENTS = ("LogModelResult", "LogTestResult")
PUBLISHED_TABLE = "analytics.user_segment"
# The dry run's candidate; the publish gate never runs for it (macros/pulse_publish.sql).
DRY_RUN_TABLE = f"{DRY_RUN_SCHEMA_PREFIX}analytics_candidate.user_segment"


class DryRunConfig(Config):
    # ISO-8601 time the segments are evaluated at; unset: now.
    as_of: str | None = None
    # A proposed segment declaration (the list of var pulse__segments, as JSON) to build
    # instead of the one in dbt_project.yml; unset: the declared segments.
    segments: str | None = None


@op(
    description="Builds +user_segment and segment_catalogue into the dryrun_ schemas and "
    "compares with the published."
)
def dry_run_user_segment(
    context: OpExecutionContext,
    dbt: DbtCliResource,
    database: PulseDatabase,
    config: DryRunConfig,
) -> dict[str, Any]:
    args = dbt_build_args(
        full_refresh=True,
        schema_prefix=DRY_RUN_SCHEMA_PREFIX,
        # the catalogue too, so the tests of user_segment against it run on the proposal
        select="+user_segment segment_catalogue",
        segments=json.loads(config.segments) if config.segments else None,
    )
    on_spark = get_orchestration_settings().pulse_warehouse == "spark"
    spark_dir = new_spark_dir(context.run_id)
    with dbt_under_lock(database, DRY_RUN_LOCK, dbt) as start_dbt:
        extra_env = dbt_as_of_environment(config.as_of)
        if on_spark:
            export_to_lake(database)
            extra_env.update(spark_environment(spark_dir))
            args += ["--target", "spark"]
        invocation = start_dbt(args, extra_env, manifest=pulse_dbt_project.manifest_path)
        errors = []
        for event in invocation.stream_raw_events():
            info = event.raw_event["info"]
            if info["level"] in ("warn", "error") or info["name"] in PROGRESS_EVENTS:
                context.log.info(info["msg"])
            if info["level"] == "error":
                errors.append(info["msg"])
        if not invocation.is_successful():
            raise Failure(
                description="dry run: " + failure_summary(run_results_of(invocation), errors)
            )
        if on_spark:
            load_dry_run_segments(database, spark_dir)
        with database.connect() as connection:
            as_of = normalize_as_of(config.as_of) if config.as_of else None
            report = segment_transitions(connection, PUBLISHED_TABLE, DRY_RUN_TABLE, as_of)
    context.add_output_metadata(
        {"total_users": report.total_users, "total_moving": report.total_moving}
    )
    return report.as_dict()


def run_results_of(invocation: DbtCliInvocation) -> dict[str, Any]:
    """The invocation's run results; empty when dbt stopped before writing them (an
    error while parsing the project, e.g. a malformed segment declaration)."""
    try:
        return dict(invocation.get_artifact("run_results.json"))
    except FileNotFoundError:
        return {}


def export_to_lake(database: PulseDatabase) -> None:
    with database.scoped_engine() as engine:
        export_lake(engine, lake_dir())


def load_dry_run_segments(database: PulseDatabase, spark_dir: Path) -> None:
    """Load the Spark-built dry-run user_segment into PostgreSQL's dryrun_analytics_candidate."""
    schema = DRY_RUN_TABLE.rsplit(".", 1)[0]
    [user_segment] = [mart for mart in LOADED_MARTS if mart.name == "user_segment"]
    with database.scoped_engine() as engine:
        load_mart(engine, user_segment, mart_folder(spark_dir, "user_segment", schema), schema)
    shutil.rmtree(spark_dir, ignore_errors=True)


@job(
    tags={"pulse/kind": "dry-run"}, description="Dry run of the segment rules (publishes nothing)."
)
def segment_dry_run() -> None:
    dry_run_user_segment()
