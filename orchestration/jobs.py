"""The jobs operators and schedules run.

- `segment_refresh`: observe the raw tables, incremental `dbt build` of every model
  and test, then the publish gate (segments, membership history and change feed
  together); what the 15-minute schedule runs.
- `segment_full_refresh`: the same with `--full-refresh` (incremental models rebuilt
  from scratch); what the daily schedule runs.
- `freshness_checks`: observe the raw tables and run the freshness checks.
A refresh run with an `as_of` (a replay of a past moment) builds every model; the publish
gate publishes its segments without entering them into the history and the change feed.
Refresh runs carry the tag `pulse/refresh`, which the instance's run queue limits
to one at a time. With PULSE_WAREHOUSE=spark the refresh jobs select the Spark path's
assets instead of the dbt models on PostgreSQL (`orchestration/assets/spark.py`).
"""

from __future__ import annotations

from collections.abc import Sequence

from dagster import (
    AssetChecksDefinition,
    AssetsDefinition,
    AssetSelection,
    Definitions,
    define_asset_job,
)

from orchestration.assets.raw import raw_table_assets
from orchestration.config import get_orchestration_settings

REFRESH_TAG = "pulse/refresh"
DBT_OP = "pulse_dbt_models"
# The ops of the Spark path that read `DbtRefreshConfig` (see orchestration/assets/spark.py).
SPARK_DBT_OPS = ("pulse_spark_models", "pulse_publish_models")

raw_tables = AssetSelection.assets(*[asset.key for asset in raw_table_assets])


def refresh_run_config(
    *,
    full_refresh: bool,
    as_of: str | None = None,
    replay: bool = False,
    warehouse: str | None = None,
) -> dict[str, object]:
    """Run config of a refresh job (the dbt ops' `DbtRefreshConfig`) on the configured
    warehouse (`warehouse`, default PULSE_WAREHOUSE). A `replay` publishes the segments
    of `as_of` without entering them into the history and the change feed."""
    warehouse = warehouse or get_orchestration_settings().pulse_warehouse
    config: dict[str, object] = {"full_refresh": full_refresh}
    if as_of:
        config["as_of"] = as_of
    if replay:
        config["replay"] = True
    ops = SPARK_DBT_OPS if warehouse == "spark" else (DBT_OP,)
    return {"ops": {op: {"config": config} for op in ops}}


def build_jobs(
    freshness_checks: list[AssetChecksDefinition],
    refresh_assets: Sequence[AssetsDefinition],
    warehouse: str,
) -> Definitions:
    """The asset jobs, as definitions to merge into the code location's; `refresh_assets`
    are what a refresh materializes on `warehouse`."""
    refresh_selection = raw_tables | AssetSelection.assets(*refresh_assets)
    segment_refresh = define_asset_job(
        "segment_refresh",
        selection=refresh_selection,
        tags={REFRESH_TAG: "incremental"},
        config=refresh_run_config(full_refresh=False, warehouse=warehouse),
        description="Incremental refresh: observe raw tables, dbt build (models, tests), publish.",
    )
    segment_full_refresh = define_asset_job(
        "segment_full_refresh",
        selection=refresh_selection,
        tags={REFRESH_TAG: "full"},
        config=refresh_run_config(full_refresh=True, warehouse=warehouse),
        description="Full refresh: dbt build --full-refresh (models, tests), publish.",
    )
    freshness = define_asset_job(
        "freshness_checks",
        # Without the dbt source tests on the raw tables: those run in every refresh, and
        # here they would start dbt under the refresh lock, failing a refresh that starts
        # meanwhile as an overlap.
        selection=raw_tables.without_checks() | AssetSelection.checks(*freshness_checks),
        description="Observe the raw tables and check user_segment and the deposit feed.",
    )
    return Definitions(jobs=[segment_refresh, segment_full_refresh, freshness])
