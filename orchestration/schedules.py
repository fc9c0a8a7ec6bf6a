"""Schedules, configured by environment variables (see `orchestration/config.py`).

Each refresh tick passes its scheduled time as `as_of`, so a run that waited in
the queue still computes the segments for the moment it was meant for.
"""

from __future__ import annotations

from dagster import (
    DefaultScheduleStatus,
    RunRequest,
    ScheduleDefinition,
    ScheduleEvaluationContext,
    schedule,
)

from orchestration.config import OrchestrationSettings
from orchestration.jobs import refresh_run_config


def build_schedules(settings: OrchestrationSettings) -> list[ScheduleDefinition]:
    timezone = settings.pulse_schedule_timezone
    warehouse = settings.pulse_warehouse

    @schedule(
        name="incremental_refresh",
        job_name="segment_refresh",
        cron_schedule=settings.pulse_incremental_cron,
        execution_timezone=timezone,
        default_status=DefaultScheduleStatus.RUNNING,
        description="Incremental segment refresh (PULSE_INCREMENTAL_CRON).",
    )
    def incremental_refresh(context: ScheduleEvaluationContext) -> RunRequest:
        as_of = context.scheduled_execution_time.isoformat()
        return RunRequest(
            run_key=f"incremental-{as_of}",
            run_config=refresh_run_config(full_refresh=False, as_of=as_of, warehouse=warehouse),
            tags={"pulse/as_of": as_of},
        )

    @schedule(
        name="daily_full_refresh",
        job_name="segment_full_refresh",
        cron_schedule=settings.pulse_full_refresh_cron,
        execution_timezone=timezone,
        default_status=DefaultScheduleStatus.RUNNING,
        description="Daily full refresh, published through the gate (PULSE_FULL_REFRESH_CRON).",
    )
    def daily_full_refresh(context: ScheduleEvaluationContext) -> RunRequest:
        as_of = context.scheduled_execution_time.isoformat()
        return RunRequest(
            run_key=f"full-{as_of}",
            run_config=refresh_run_config(full_refresh=True, as_of=as_of, warehouse=warehouse),
            tags={"pulse/as_of": as_of},
        )

    freshness = ScheduleDefinition(
        name="freshness_checks_schedule",
        job_name="freshness_checks",
        cron_schedule=settings.pulse_freshness_cron,
        execution_timezone=timezone,
        default_status=DefaultScheduleStatus.RUNNING,
        description="Freshness checks and raw-table observations (PULSE_FRESHNESS_CRON).",
    )
    return [incremental_refresh, daily_full_refresh, freshness]
