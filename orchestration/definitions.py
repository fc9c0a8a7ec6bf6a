"""Pulse's Dagster code location (`defs`), loaded by workspace.yaml."""

from __future__ import annotations

from dagster import Definitions, in_process_executor

from orchestration.assets.dbt import pulse_dbt_models
from orchestration.assets.raw import raw_table_assets
from orchestration.checks import build_freshness_checks
from orchestration.config import get_orchestration_settings
from orchestration.dry_run import segment_dry_run
from orchestration.jobs import build_jobs
from orchestration.resources import pulse_resources
from orchestration.schedules import build_schedules
from orchestration.sensors import build_alert_sensors

settings = get_orchestration_settings()
freshness_checks = build_freshness_checks(settings)

defs = Definitions(
    assets=[*raw_table_assets, pulse_dbt_models],
    asset_checks=freshness_checks,
    jobs=[*build_jobs(freshness_checks), segment_dry_run],
    schedules=build_schedules(settings),
    sensors=build_alert_sensors(settings),
    resources=pulse_resources(),
    # One process per run: a step per raw table in its own process would each re-import
    # Dagster and dbt (seconds and ~200 MB apiece) for a query that takes milliseconds.
    executor=in_process_executor,
)
