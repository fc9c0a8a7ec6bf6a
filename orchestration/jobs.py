"""The jobs operators and schedules run.

- `segment_refresh`: observe the raw tables, incremental `dbt build` of every model,
  test and the membership snapshot; what the 15-minute schedule runs. The snapshot is
  in every refresh because `user_segment_changes` (the feed campaigns read) is derived
  from it: a daily-only snapshot would delay the feed by a day and miss transitions.
- `segment_full_refresh`: the same with `--full-refresh` (incremental models rebuilt
  from scratch); what the daily schedule runs.
- `freshness_checks`: observe the raw tables and run the freshness checks.
A refresh run with an `as_of` (a replay of a past moment) materializes its job's assets
except the membership history and what is derived from it (`replay_selection`).
Refresh runs carry the tag `pulse/refresh`, which the instance's run queue limits
to one at a time. With PULSE_WAREHOUSE=spark the refresh jobs select the Spark path's
assets instead of the dbt models on PostgreSQL (`orchestration/assets/spark.py`).
"""

from __future__ import annotations

from collections.abc import Sequence

from dagster import (
    AssetChecksDefinition,
    AssetKey,
    AssetsDefinition,
    AssetSelection,
    JobDefinition,
    define_asset_job,
)
from dagster._core.definitions.unresolved_asset_job_definition import (
    UnresolvedAssetJobDefinition,
)

from orchestration.assets.raw import raw_table_assets
from orchestration.config import get_orchestration_settings

REFRESH_TAG = "pulse/refresh"
DBT_OP = "pulse_dbt_models"
# The ops of the Spark path that read `DbtRefreshConfig` (see orchestration/assets/spark.py).
SPARK_DBT_OPS = ("pulse_spark_models", "pulse_history_models")

raw_tables = AssetSelection.assets(*[asset.key for asset in raw_table_assets])

HISTORY_KEY = AssetKey(["snapshots", "user_segment_history"])
# The membership snapshot and everything built from it (the change feed) record the
# present: a replay of a past moment must not enter them, and leaves them as they are.
history_and_derived = AssetSelection.assets(HISTORY_KEY).downstream()


def replay_selection(job: JobDefinition) -> list[AssetKey]:
    """The assets a refresh job materializes when it replays a past moment (`as_of`):
    all of its own but the membership history and what is derived from it."""
    layer = job.asset_layer
    left_out = history_and_derived.resolve(layer.asset_graph)
    return sorted(layer.selected_asset_keys - left_out)


def refresh_run_config(
    *, full_refresh: bool, as_of: str | None = None, warehouse: str | None = None
) -> dict[str, object]:
    """Run config of a refresh job (the dbt ops' `DbtRefreshConfig`) on the configured
    warehouse (`warehouse`, default PULSE_WAREHOUSE)."""
    warehouse = warehouse or get_orchestration_settings().pulse_warehouse
    config: dict[str, object] = {"full_refresh": full_refresh}
    if as_of:
        config["as_of"] = as_of
    ops = SPARK_DBT_OPS if warehouse == "spark" else (DBT_OP,)
    return {"ops": {op: {"config": config} for op in ops}}


def build_jobs(
    freshness_checks: list[AssetChecksDefinition],
    refresh_assets: Sequence[AssetsDefinition],
    warehouse: str,
) -> list[UnresolvedAssetJobDefinition]:
    """The jobs; `refresh_assets` are what a refresh materializes on `warehouse`."""
    refresh_selection = raw_tables | AssetSelection.assets(*refresh_assets)
    segment_refresh = define_asset_job(
        "segment_refresh",
        selection=refresh_selection,
        tags={REFRESH_TAG: "incremental"},
        config=refresh_run_config(full_refresh=False, warehouse=warehouse),
        description="Incremental refresh: observe raw tables, dbt build (models, tests, snapshot).",
    )
    segment_full_refresh = define_asset_job(
        "segment_full_refresh",
        selection=refresh_selection,
        tags={REFRESH_TAG: "full"},
        config=refresh_run_config(full_refresh=True, warehouse=warehouse),
        description="Full refresh: dbt build --full-refresh (models, tests, snapshot).",
    )
    freshness = define_asset_job(
        "freshness_checks",
        selection=raw_tables | AssetSelection.checks(*freshness_checks),
        description="Observe the raw tables and check user_segment and the deposit feed.",
    )
    return [segment_refresh, segment_full_refresh, freshness]
