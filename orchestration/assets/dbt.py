"""The dbt models, snapshot and tests as Dagster assets and asset checks.

Every dbt test (model and source tests) becomes an asset check. Checks block:
the asset runs `dbt build`, which runs each model's tests right after the model
and skips everything downstream of a failed test, so a failing check on, say,
`user_activity` leaves the published `user_segment` as it was and fails the run.
"""

from collections.abc import Iterator, Mapping
from typing import Any

from dagster import AssetExecutionContext, Config, Failure
from dagster_dbt import (
    DagsterDbtTranslator,
    DagsterDbtTranslatorSettings,
    DbtCliResource,
    dbt_assets,
)

from orchestration.dbt_args import (
    INDIRECT_SELECTION_ENVIRONMENT,
    dbt_as_of_environment,
    dbt_build_args,
)
from orchestration.dbt_failures import failure_summary
from orchestration.project import applied_dbt_environment, pulse_dbt_project
from orchestration.resources import PulseDatabase

# Held for the whole dbt build, so no two refreshes write the published tables at once.
REFRESH_LOCK = "segment refresh"


class PulseDbtTranslator(DagsterDbtTranslator):
    """Groups dbt nodes by their folder (staging, intermediate, marts, snapshots)."""

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        fqn = dbt_resource_props.get("fqn", [])
        return f"dbt_{fqn[1]}" if len(fqn) > 2 else "dbt"


class DbtRefreshConfig(Config):
    """Run configuration of a refresh (set in the launchpad, by schedules and the script)."""

    full_refresh: bool = False
    # ISO-8601 time the segments are evaluated at; unset: the run's start.
    as_of: str | None = None


pulse_translator = PulseDbtTranslator(
    settings=DagsterDbtTranslatorSettings(
        enable_asset_checks=True, enable_source_tests_as_checks=True
    )
)


@dbt_assets(
    manifest=pulse_dbt_project.manifest_path,
    project=pulse_dbt_project,
    dagster_dbt_translator=pulse_translator,
    name="pulse_dbt_models",
)
def pulse_dbt_models(
    context: AssetExecutionContext,
    dbt: DbtCliResource,
    database: PulseDatabase,
    config: DbtRefreshConfig,
) -> Iterator[Any]:
    args = dbt_build_args(full_refresh=config.full_refresh)
    yield from locked_dbt_build(context, dbt, database, args, dbt_as_of_environment(config.as_of))


def locked_dbt_build(
    context: AssetExecutionContext,
    dbt: DbtCliResource,
    database: PulseDatabase,
    args: list[str],
    extra_environment: dict[str, str] | None = None,
) -> Iterator[Any]:
    """Run dbt under the refresh lock, stream its events, and fail the step if dbt failed.

    Every dbt step of a refresh (PostgreSQL, Spark, history) goes through here, so the
    overlap guard and the failure summary are the same on both engines.
    """
    environment = {**INDIRECT_SELECTION_ENVIRONMENT, **(extra_environment or {})}
    with database.exclusive(REFRESH_LOCK):
        with applied_dbt_environment(environment):
            invocation = dbt.cli(args, context=context, raise_on_error=False)
        yield from invocation.stream()
    if not invocation.is_successful():
        # dbt skipped everything downstream of the failure: nothing after it was published.
        raise Failure(description=failure_summary(invocation.get_artifact("run_results.json")))
