"""The dry run: build user_segment into the `dryrun_` schemas and report the transitions.

A job of its own (not an asset materialization), so a dry run is recorded in the
instance and visible in the UI without ever counting as a publish of
`user_segment`: freshness and lineage keep describing the published table.
"""

from typing import Any

from dagster import Config, Failure, OpExecutionContext, job, op
from dagster_dbt import DbtCliResource

from orchestration.dbt_args import DRY_RUN_SCHEMA_PREFIX, dbt_build_args, normalize_as_of
from orchestration.dbt_failures import failure_summary
from orchestration.project import applied_dbt_environment, pulse_dbt_project
from orchestration.resources import PulseDatabase
from orchestration.transitions import segment_transitions

DRY_RUN_LOCK = "segment dry run"
# dbt log events worth a line in the run's log: one per finished model and test.
PROGRESS_EVENTS = ("LogModelResult", "LogTestResult")
PUBLISHED_TABLE = "analytics.user_segment"
DRY_RUN_TABLE = f"{DRY_RUN_SCHEMA_PREFIX}analytics.user_segment"


class DryRunConfig(Config):
    # ISO-8601 time the segments are evaluated at; unset: now.
    as_of: str | None = None


@op(description="Builds +user_segment into the dryrun_ schemas and compares with the published.")
def dry_run_user_segment(
    context: OpExecutionContext,
    dbt: DbtCliResource,
    database: PulseDatabase,
    config: DryRunConfig,
) -> dict[str, Any]:
    args = dbt_build_args(
        full_refresh=True,
        as_of=config.as_of,
        schema_prefix=DRY_RUN_SCHEMA_PREFIX,
        select="+user_segment",
    )
    with database.exclusive(DRY_RUN_LOCK):
        with applied_dbt_environment():
            invocation = dbt.cli(
                args, raise_on_error=False, manifest=pulse_dbt_project.manifest_path
            )
        for event in invocation.stream_raw_events():
            info = event.raw_event["info"]
            if info["level"] in ("warn", "error") or info["name"] in PROGRESS_EVENTS:
                context.log.info(info["msg"])
        if not invocation.is_successful():
            raise Failure(
                description="dry run: "
                + failure_summary(invocation.get_artifact("run_results.json"))
            )
        with database.connect() as connection:
            as_of = normalize_as_of(config.as_of) if config.as_of else None
            report = segment_transitions(connection, PUBLISHED_TABLE, DRY_RUN_TABLE, as_of)
    context.add_output_metadata(
        {"total_users": report.total_users, "total_moving": report.total_moving}
    )
    return report.as_dict()


@job(
    tags={"pulse/kind": "dry-run"}, description="Dry run of the segment rules (publishes nothing)."
)
def segment_dry_run() -> None:
    dry_run_user_segment()
