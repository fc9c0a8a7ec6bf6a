"""Pulse's Dagster code location (`defs`), loaded by workspace.yaml.

PULSE_WAREHOUSE chooses what the refresh jobs materialize: the dbt models on
PostgreSQL (`postgres`, the default) or the Spark path (`spark`: lake export, dbt on
Spark, load back, history on PostgreSQL). Everything else is the same on both.
"""

from __future__ import annotations

from dagster import AssetsDefinition, Definitions, in_process_executor

from orchestration.assets.dbt import pulse_dbt_models
from orchestration.assets.raw import raw_table_assets
from orchestration.checks import build_freshness_checks
from orchestration.config import OrchestrationSettings, get_orchestration_settings
from orchestration.dry_run import segment_dry_run
from orchestration.event_refresh import build_event_refresh_sensor
from orchestration.jobs import build_jobs
from orchestration.resources import pulse_resources
from orchestration.schedules import build_schedules
from orchestration.segment_lag import build_lag_alert_sensor
from orchestration.sensors import build_alert_sensors


def refresh_assets(warehouse: str) -> list[AssetsDefinition]:
    if warehouse == "spark":
        from orchestration.assets.spark import spark_refresh_assets

        return spark_refresh_assets
    return [pulse_dbt_models]


def build_definitions(settings: OrchestrationSettings) -> Definitions:
    freshness_checks = build_freshness_checks(settings)
    assets = refresh_assets(settings.pulse_warehouse)
    return Definitions.merge(
        build_jobs(freshness_checks, assets, settings.pulse_warehouse),
        Definitions(
            assets=[*raw_table_assets, *assets],
            asset_checks=freshness_checks,
            jobs=[segment_dry_run],
            schedules=build_schedules(settings),
            sensors=[
                *build_alert_sensors(settings),
                build_event_refresh_sensor(settings),
                build_lag_alert_sensor(settings),
            ],
            resources=pulse_resources(),
            # One process per run: a step per raw table in its own process would each
            # re-import Dagster and dbt (seconds and ~200 MB apiece) for a query that
            # takes milliseconds.
            executor=in_process_executor,
        ),
    )


defs = build_definitions(get_orchestration_settings())
