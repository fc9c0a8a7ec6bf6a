"""The refresh on the Spark warehouse (PULSE_WAREHOUSE=spark) as Dagster assets.

The lineage reads: `app/<table>` (raw tables) -> `lake/<table>` (Parquet lake export)
-> `spark/...` (the dbt models built on Spark from the lake) -> `analytics/user_activity`,
`analytics/user_segment` and `analytics/segment_catalogue` (loaded back into PostgreSQL,
the latter two as candidates in `analytics_candidate`) -> the rows to publish
(`user_segment_updates`, dbt on PostgreSQL), whose on-run-end hook is the publish gate, as
on the PostgreSQL path.

Checks block: the Spark step runs `dbt build`, so a failing dbt test fails the step and
Dagster skips the load back and the publish; a failing test of the rows to publish stops
the publish gate. Either way every published relation stays as it was. Every step
holds the refresh lock while it runs, so a second refresh started meanwhile fails at
its first step instead of overlapping. All steps of a run share one Spark folder named
after the run.
"""

import shutil
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from dagster import (
    AssetExecutionContext,
    AssetKey,
    AssetSpec,
    MaterializeResult,
    multi_asset,
)
from dagster_dbt import DbtCliResource, dbt_assets

from orchestration.assets.dbt import (
    REFRESH_LOCK,
    DbtRefreshConfig,
    PulseDbtTranslator,
    locked_dbt_build,
    refresh_dbt_build,
    translator_settings,
)
from orchestration.dbt_args import dbt_as_of_environment, dbt_build_args
from orchestration.lake.export import LAKE_TABLES, export_lake, lake_dir
from orchestration.lake.load_back import LOADED_MARTS, load_marts
from orchestration.lake.spark_build import PUBLISH_SELECTION
from orchestration.lake.spark_env import new_spark_dir, spark_environment
from orchestration.project import pulse_dbt_project
from orchestration.resources import PulseDatabase

SPARK_GROUP = "spark"
LAKE_GROUP = "lake"
SPARK_MODELS_OP = "pulse_spark_models"
PUBLISH_OP = "pulse_publish_models"


def lake_key(table: str) -> AssetKey:
    return AssetKey(["lake", table])


def spark_key(published: AssetKey) -> AssetKey:
    """The Spark-built copy of a dbt model (`spark/analytics/user_segment`)."""
    return published.with_prefix(SPARK_GROUP)


def run_spark_dir(context: AssetExecutionContext) -> Path:
    return new_spark_dir(context.run.run_id)


def spark_dbt_arguments(arguments: list[str]) -> list[str]:
    """A refresh's dbt arguments for Spark: every run rebuilds from the lake in a new
    folder, so `--full-refresh` has nothing to do there."""
    return [argument for argument in arguments if argument != "--full-refresh"] + [
        "--target",
        "spark",
    ]


class SparkDbtTranslator(PulseDbtTranslator):
    """dbt on Spark: models under `spark/`, sources read from the lake's assets."""

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> AssetKey:
        if dbt_resource_props["resource_type"] == "source":
            return lake_key(dbt_resource_props["name"])
        return spark_key(super().get_asset_key(dbt_resource_props))

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        return SPARK_GROUP


@multi_asset(
    name="lake_export",
    specs=[
        AssetSpec(
            lake_key(table.name),
            deps=[AssetKey(["app", table.name])],
            group_name=LAKE_GROUP,
            description=f"app.{table.name} in the Parquet lake (PULSE_LAKE_DIR).",
        )
        for table in LAKE_TABLES
    ],
)
def lake_export(context: AssetExecutionContext, database: PulseDatabase) -> Iterator[Any]:
    with database.exclusive(REFRESH_LOCK), database.scoped_engine() as engine:
        written = export_lake(engine, lake_dir())
    for table, rows in written.items():
        yield MaterializeResult(asset_key=lake_key(table), metadata={"rows_exported": rows})


@dbt_assets(
    manifest=pulse_dbt_project.manifest_path,
    project=pulse_dbt_project,
    dagster_dbt_translator=SparkDbtTranslator(settings=translator_settings),
    name=SPARK_MODELS_OP,
    # Built on PostgreSQL after the load back, against the published history there.
    exclude=PUBLISH_SELECTION,
)
def pulse_spark_models(
    context: AssetExecutionContext,
    dbt: DbtCliResource,
    database: PulseDatabase,
    config: DbtRefreshConfig,
) -> Iterator[Any]:
    args = spark_dbt_arguments(dbt_build_args())
    environment = {
        **spark_environment(run_spark_dir(context)),
        **dbt_as_of_environment(config.as_of, replay=config.replay),
    }
    yield from locked_dbt_build(context, dbt, database, args, environment)


@multi_asset(
    name="spark_load_back",
    specs=[
        AssetSpec(
            AssetKey(["analytics", mart.name]),
            deps=[spark_key(AssetKey(["analytics", mart.name]))],
            group_name="dbt_marts",
            description=f"The Spark-built {mart.name}, loaded into PostgreSQL's {mart.schema}.",
        )
        for mart in LOADED_MARTS
    ],
)
def spark_load_back(context: AssetExecutionContext, database: PulseDatabase) -> Iterator[Any]:
    spark_dir = run_spark_dir(context)
    with database.exclusive(REFRESH_LOCK), database.scoped_engine() as engine:
        loaded = load_marts(engine, spark_dir)
    # The marts are in PostgreSQL now; the run's warehouse copy is no longer needed.
    shutil.rmtree(spark_dir, ignore_errors=True)
    for mart, rows in loaded.items():
        yield MaterializeResult(
            asset_key=AssetKey(["analytics", mart]), metadata={"dagster/row_count": rows}
        )


@dbt_assets(
    manifest=pulse_dbt_project.manifest_path,
    project=pulse_dbt_project,
    dagster_dbt_translator=PulseDbtTranslator(settings=translator_settings),
    name=PUBLISH_OP,
    select=PUBLISH_SELECTION,
)
def pulse_publish_models(
    context: AssetExecutionContext,
    dbt: DbtCliResource,
    database: PulseDatabase,
    config: DbtRefreshConfig,
) -> Iterator[Any]:
    """The rows of the loaded candidate that moved, tested; the on-run-end hook publishes."""
    yield from refresh_dbt_build(context, dbt, database, config)


spark_refresh_assets = [lake_export, pulse_spark_models, spark_load_back, pulse_publish_models]
