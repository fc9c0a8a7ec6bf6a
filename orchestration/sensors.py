"""Alerting sensors: failed runs, and failed asset checks (which may not fail a run).

Both log one structured line per alert and POST to ALERT_WEBHOOK_URL when it is set
(see `orchestration/alerts.py`). A failed check gets its own sensor because a
run-failure sensor never fires for a non-blocking check that fails in a run that
otherwise succeeds (a stale feed, a warning test).

The check sensor reads the checks of runs that have ended: each run ends once, so
following the instance's run-end events (one position in the event log, kept as the
sensor's cursor) alerts on every failed evaluation exactly once, on SQLite (where each
run keeps its events in a file of its own) and on PostgreSQL alike. A check that fails
in a run still going is alerted on the first tick after that run ends.
"""

from __future__ import annotations

from dagster import (
    AssetCheckEvaluation,
    DagsterEventType,
    DagsterInstance,
    DefaultSensorStatus,
    EventLogRecord,
    RunFailureSensorContext,
    RunStatusChangeRecordsFilter,
    SensorDefinition,
    SensorEvaluationContext,
    SkipReason,
    run_failure_sensor,
    sensor,
)

from orchestration.alerts import root_cause_line, send_alert
from orchestration.config import OrchestrationSettings

DRY_RUN_JOB = "segment_dry_run"
# How many ended runs one tick of the check sensor reads at most (the rest wait for the next).
RUNS_PER_TICK = 50


def runs_ended_after(
    instance: DagsterInstance, storage_id: int | None, limit: int
) -> list[EventLogRecord]:
    """The first `limit` run-end events after `storage_id` (all of them when None), in order.

    Storage ids of run-end events are positions in one log on every storage (SQLite keeps
    a copy of them in its index), so the first `limit` of each kind merged are the first
    `limit` of all.
    """
    run_ends = [
        RunStatusChangeRecordsFilter(DagsterEventType.RUN_SUCCESS, after_storage_id=storage_id),
        RunStatusChangeRecordsFilter(DagsterEventType.RUN_FAILURE, after_storage_id=storage_id),
        RunStatusChangeRecordsFilter(DagsterEventType.RUN_CANCELED, after_storage_id=storage_id),
    ]
    records = [
        record
        for records_filter in run_ends
        for record in instance.fetch_run_status_changes(
            records_filter, limit=limit, ascending=True
        ).records
    ]
    return sorted(records, key=lambda record: record.storage_id)[:limit]


def failed_check_evaluations(instance: DagsterInstance, run_id: str) -> list[AssetCheckEvaluation]:
    """The failed asset check evaluations of one run, in the order they were recorded."""
    records = instance.get_records_for_run(
        run_id, of_type=DagsterEventType.ASSET_CHECK_EVALUATION
    ).records
    evaluations = (
        record.event_log_entry.dagster_event.event_specific_data
        for record in records
        if record.event_log_entry.dagster_event
    )
    return [
        evaluation
        for evaluation in evaluations
        if isinstance(evaluation, AssetCheckEvaluation) and not evaluation.passed
    ]


def build_alert_sensors(
    settings: OrchestrationSettings, *, runs_per_tick: int = RUNS_PER_TICK
) -> list[SensorDefinition]:
    @run_failure_sensor(
        name="run_failure_alert",
        description="Alerts (log line + webhook) when any Pulse run fails.",
        default_status=DefaultSensorStatus.RUNNING,
        # Runs executed in process (scripts/segment_users.py, cron) carry no code location
        # origin; without this they would never match and fail silently.
        monitor_all_code_locations=True,
    )
    def run_failure_alert(context: RunFailureSensorContext) -> None:
        run = context.dagster_run
        if run.job_name == DRY_RUN_JOB:
            return  # an analyst's experiment failing is not an incident
        step_errors = [
            root_cause_line(event.step_failure_data.error)
            for event in context.get_step_failure_events()
            if event.step_failure_data.error
        ]
        error = step_errors[0] if step_errors else (context.failure_event.message or "run failed")
        send_alert(
            "run_failure",
            f"run of {run.job_name} failed",
            {"job": run.job_name, "run_id": run.run_id, "error": error.splitlines()[0]},
            webhook_url=settings.alert_webhook_url,
            attempts=settings.alert_webhook_attempts,
        )

    @sensor(
        name="check_failure_alert",
        description="Alerts (log line + webhook) for every failed asset check evaluation.",
        minimum_interval_seconds=60,
        default_status=DefaultSensorStatus.RUNNING,
    )
    def check_failure_alert(context: SensorEvaluationContext) -> SkipReason:
        after = int(context.cursor) if context.cursor else None
        ended = runs_ended_after(context.instance, after, runs_per_tick)
        failures = 0
        for run_end in ended:
            run_id = run_end.event_log_entry.run_id
            for evaluation in failed_check_evaluations(context.instance, run_id):
                failures += 1
                # dbt tests carry no description; their metadata says how many rows failed.
                failing_rows = evaluation.metadata.get("dagster_dbt/failed_row_count")
                description = evaluation.description or (
                    f"{failing_rows.value} failing row(s)" if failing_rows else "check failed"
                )
                asset = evaluation.asset_key.to_user_string()
                send_alert(
                    "check_failure",
                    f"check {evaluation.check_name} on {asset} failed",
                    {
                        "check": evaluation.check_name,
                        "asset": asset,
                        "severity": evaluation.severity.value,
                        "run_id": run_id,
                        "description": description.splitlines()[0],
                    },
                    webhook_url=settings.alert_webhook_url,
                    attempts=settings.alert_webhook_attempts,
                )
        if ended:
            context.update_cursor(str(ended[-1].storage_id))
        # The sensor launches no runs; the reason says what this tick did.
        return SkipReason(
            f"alerted on {failures} failed check evaluations in {len(ended)} ended runs"
        )

    return [run_failure_alert, check_failure_alert]
