"""The dbt models and tests as Dagster assets and asset checks.

Every dbt test (model and source tests) becomes an asset check. Checks block: the
asset runs `dbt build`, which builds `user_segment`, the rows that moved
(`user_segment_updates`) and `segment_catalogue` as candidates (schema
`analytics_candidate`) and tests them there; its on-run-end hook publishes them, with the
run's transitions, only when every node and test passed
(dbt_project/macros/pulse_publish.sql). A failing check anywhere fails the run and
leaves every published relation as it was, which the step checks before it says so.
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
from orchestration.project import pulse_dbt_project
from orchestration.published import publish_outcome, published_state
from orchestration.resources import PulseDatabase, dbt_under_lock

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
    # A replay of a past moment: publish its segments, but never enter them into the
    # history or the change feed as if they were the present.
    replay: bool = False


# Every dbt test (model and source tests) becomes an asset check, on either engine.
translator_settings = DagsterDbtTranslatorSettings(
    enable_asset_checks=True, enable_source_tests_as_checks=True
)
pulse_translator = PulseDbtTranslator(settings=translator_settings)


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
    yield from refresh_dbt_build(context, dbt, database, config)


def refresh_dbt_build(
    context: AssetExecutionContext,
    dbt: DbtCliResource,
    database: PulseDatabase,
    config: DbtRefreshConfig,
) -> Iterator[Any]:
    """A refresh's `dbt build` on PostgreSQL, as the run's config asks (full refresh, as_of,
    replay)."""
    args = dbt_build_args(full_refresh=config.full_refresh)
    environment = dbt_as_of_environment(config.as_of, replay=config.replay)
    yield from locked_dbt_build(context, dbt, database, args, environment)


def locked_dbt_build(
    context: AssetExecutionContext,
    dbt: DbtCliResource,
    database: PulseDatabase,
    args: list[str],
    extra_environment: dict[str, str] | None = None,
) -> Iterator[Any]:
    """Run dbt under the refresh lock, stream its events, and fail the step if dbt failed.

    Every dbt step of a refresh (PostgreSQL, Spark, history) goes through here, so the
    overlap guard and the failure summary are the same on both engines. A failure says
    what the run did to the published relations, as read from the database.
    """
    environment = {**INDIRECT_SELECTION_ENVIRONMENT, **(extra_environment or {})}
    with dbt_under_lock(database, REFRESH_LOCK, dbt) as start_dbt:
        with database.connect() as connection:
            before = published_state(connection)
        invocation = start_dbt(args, environment, context=context)
        yield from invocation.stream()
        if not invocation.is_successful():
            with database.connect() as connection:
                outcome = publish_outcome(before, published_state(connection))
            summary = failure_summary(invocation.get_artifact("run_results.json"))
            raise Failure(description=f"{summary}; {outcome}")
