"""The jobs operators and schedules run.

- `segment_refresh`: observe the raw tables, incremental `dbt build` of every model,
  test and the membership snapshot; what the 15-minute schedule runs. The snapshot is
  in every refresh because `user_segment_changes` (the feed campaigns read) is derived
  from it: a daily-only snapshot would delay the feed by a day and miss transitions.
- `segment_full_refresh`: the same with `--full-refresh` (incremental models rebuilt
  from scratch); what the daily schedule runs.
- `freshness_checks`: observe the raw tables and run the freshness checks.
Refresh runs carry the tag `pulse/refresh`, which the instance's run queue limits
to one at a time.
"""

from __future__ import annotations

from dagster import AssetChecksDefinition, AssetSelection, define_asset_job
from dagster._core.definitions.unresolved_asset_job_definition import (
    UnresolvedAssetJobDefinition,
)

from orchestration.assets.dbt import pulse_dbt_models
from orchestration.assets.raw import raw_table_assets

REFRESH_TAG = "pulse/refresh"
DBT_OP = "pulse_dbt_models"

raw_tables = AssetSelection.assets(*[asset.key for asset in raw_table_assets])


def refresh_run_config(*, full_refresh: bool, as_of: str | None = None) -> dict[str, object]:
    """Run config of a refresh job (the dbt op's `DbtRefreshConfig`)."""
    config: dict[str, object] = {"full_refresh": full_refresh}
    if as_of:
        config["as_of"] = as_of
    return {"ops": {DBT_OP: {"config": config}}}


def build_jobs(freshness_checks: list[AssetChecksDefinition]) -> list[UnresolvedAssetJobDefinition]:
    segment_refresh = define_asset_job(
        "segment_refresh",
        selection=raw_tables | AssetSelection.assets(pulse_dbt_models),
        tags={REFRESH_TAG: "incremental"},
        config=refresh_run_config(full_refresh=False),
        description="Incremental refresh: observe raw tables, dbt build (models, tests, snapshot).",
    )
    segment_full_refresh = define_asset_job(
        "segment_full_refresh",
        selection=raw_tables | AssetSelection.assets(pulse_dbt_models),
        tags={REFRESH_TAG: "full"},
        config=refresh_run_config(full_refresh=True),
        description="Full refresh: dbt build --full-refresh (models, tests, snapshot).",
    )
    freshness = define_asset_job(
        "freshness_checks",
        selection=raw_tables | AssetSelection.checks(*freshness_checks),
        description="Observe the raw tables and check user_segment and the deposit feed.",
    )
    return [segment_refresh, segment_full_refresh, freshness]
