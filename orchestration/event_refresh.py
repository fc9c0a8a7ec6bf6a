"""Event-driven refresh: an incremental refresh as soon as there is something new.

The sensor `event_refresh` ticks every PULSE_EVENT_REFRESH_TICK_SECONDS (5). It asks
for a `segment_refresh` run when the ingest service stored anything after the
published run's `as_of` (`pulse/freshness.py`), and no refresh is queued or running.
Whatever arrives while a run goes on is left for the next one, so a steady stream of
events gives back-to-back runs, each taking everything received until it started.

Each tick says in the UI what it did: the reason of a requested run (also the run's
tags `pulse/trigger=event_refresh` and `pulse/reason`), or why it skipped: switched off
(PULSE_EVENT_REFRESH_ENABLED), a refresh queued or running (in this instance, or
holding the refresh lock from elsewhere), the rate cap
(PULSE_REFRESH_MIN_INTERVAL_SECONDS since the latest refresh was requested), or
nothing new. A failed run publishes nothing, so what it would have published is still
new on the next tick, which asks again once the rate cap allows it.

The schedules stay: time alone moves players between segments (a deposit leaves the
30-day window, a player goes idle), which no arrival announces.
"""

from __future__ import annotations

from datetime import UTC, datetime

from dagster import (
    DagsterInstance,
    DagsterRun,
    DagsterRunStatus,
    DefaultSensorStatus,
    RunRequest,
    RunsFilter,
    SensorDefinition,
    SensorEvaluationContext,
    SkipReason,
    sensor,
)

from orchestration.assets.dbt import REFRESH_LOCK
from orchestration.config import OrchestrationSettings
from orchestration.jobs import refresh_run_config
from orchestration.resources import PulseDatabase
from pulse.freshness import read_unpublished

EVENT_REFRESH_SENSOR = "event_refresh"
REFRESH_JOBS = ("segment_refresh", "segment_full_refresh")
# A run in one of these holds or awaits the refresh's place in the run queue. NOT_STARTED
# is left out: a run is in it only for the moment between its creation and its submission,
# and one left there by a crash must not stop the refresh for good.
WAITING_OR_RUNNING = [
    DagsterRunStatus.QUEUED,
    DagsterRunStatus.STARTING,
    DagsterRunStatus.STARTED,
    DagsterRunStatus.CANCELING,
]
TRIGGER_TAG = "pulse/trigger"
REASON_TAG = "pulse/reason"
LAG_TAG = "pulse/lag_seconds"


def refresh_in_progress(instance: DagsterInstance) -> DagsterRun | None:
    """A refresh run of this instance that is queued or running, if any."""
    for job_name in REFRESH_JOBS:
        records = instance.get_run_records(
            RunsFilter(job_name=job_name, statuses=WAITING_OR_RUNNING), limit=1
        )
        if records:
            return records[0].dagster_run
    return None


def latest_refresh_requested_at(instance: DagsterInstance) -> datetime | None:
    """When the most recent refresh run of this instance, of any kind and outcome, was created."""
    created = [
        record.create_timestamp
        for job_name in REFRESH_JOBS
        for record in instance.get_run_records(RunsFilter(job_name=job_name), limit=1)
    ]
    return max(created).astimezone(UTC) if created else None


def build_event_refresh_sensor(settings: OrchestrationSettings) -> SensorDefinition:
    warehouse = settings.pulse_warehouse
    min_interval = settings.pulse_refresh_min_interval_seconds

    @sensor(
        name=EVENT_REFRESH_SENSOR,
        job_name="segment_refresh",
        minimum_interval_seconds=settings.pulse_event_refresh_tick_seconds,
        default_status=DefaultSensorStatus.RUNNING,
        description=(
            "Incremental refresh when events, deposits, users or overrides arrived after "
            "the published run and no refresh is queued or running "
            "(PULSE_EVENT_REFRESH_ENABLED, PULSE_REFRESH_MIN_INTERVAL_SECONDS)."
        ),
    )
    def event_refresh(
        context: SensorEvaluationContext, database: PulseDatabase
    ) -> RunRequest | SkipReason:
        if not settings.pulse_event_refresh_enabled:
            return SkipReason(
                "event-driven refresh is off (PULSE_EVENT_REFRESH_ENABLED=false); "
                "the schedules still refresh"
            )
        running = refresh_in_progress(context.instance)
        if running is not None:
            return SkipReason(
                f"{running.job_name} run {running.run_id} is {running.status.value.lower()}; "
                "what arrives meanwhile goes into the next run"
            )
        if database.is_held(REFRESH_LOCK):
            return SkipReason(
                "a refresh started outside this Dagster instance holds the refresh lock; "
                "what arrives meanwhile goes into the next run"
            )
        with database.connect() as connection:
            unpublished = read_unpublished(connection)
        if not unpublished.anything_new:
            return SkipReason(unpublished.reason())
        requested_at = latest_refresh_requested_at(context.instance)
        if requested_at is not None:
            since = (datetime.now(UTC) - requested_at).total_seconds()
            if since < min_interval:
                return SkipReason(
                    f"rate cap: the latest refresh was requested {since:.0f} s ago "
                    f"(PULSE_REFRESH_MIN_INTERVAL_SECONDS={min_interval}); "
                    f"{unpublished.reason()}"
                )
        reason = unpublished.reason()
        context.log.info(f"requesting a refresh: {reason}")
        return RunRequest(
            run_config=refresh_run_config(full_refresh=False, warehouse=warehouse),
            tags={
                TRIGGER_TAG: EVENT_REFRESH_SENSOR,
                REASON_TAG: reason,
                LAG_TAG: f"{unpublished.lag_seconds:.1f}",
            },
        )

    return event_refresh
