"""Alerting sensors: failed runs, and failed asset checks (which may not fail a run).

Both log one structured line per alert and POST to ALERT_WEBHOOK_URL when it is set
(see `orchestration/alerts.py`). A failed check gets its own sensor because a
run-failure sensor never fires for a non-blocking check that fails in a run that
otherwise succeeds (a stale feed, a warning test).
"""

from __future__ import annotations

from dagster import (
    AssetCheckEvaluation,
    DagsterEventType,
    DefaultSensorStatus,
    EventRecordsFilter,
    RunFailureSensorContext,
    SensorDefinition,
    SensorEvaluationContext,
    SkipReason,
    run_failure_sensor,
    sensor,
)
from dagster._core.execution.plan.objects import StepFailureData

from orchestration.alerts import root_cause_line, send_alert
from orchestration.config import OrchestrationSettings

DRY_RUN_JOB = "segment_dry_run"
# How many check evaluations one sensor tick reads at most (the rest wait for the next tick).
CHECK_EVENTS_PER_TICK = 200


def build_alert_sensors(settings: OrchestrationSettings) -> list[SensorDefinition]:
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
        step_failures = context.instance.all_logs(run.run_id, of_type=DagsterEventType.STEP_FAILURE)
        step_errors = [
            root_cause_line(data.error)
            for data in (
                entry.dagster_event.event_specific_data
                for entry in step_failures
                if entry.dagster_event
            )
            if isinstance(data, StepFailureData) and data.error
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
        records = context.instance.get_event_records(
            EventRecordsFilter(
                event_type=DagsterEventType.ASSET_CHECK_EVALUATION, after_cursor=after
            ),
            limit=CHECK_EVENTS_PER_TICK,
            ascending=True,
        )
        failures = 0
        for record in records:
            event = record.event_log_entry.dagster_event
            evaluation = event.event_specific_data if event else None
            if not isinstance(evaluation, AssetCheckEvaluation) or evaluation.passed:
                continue
            failures += 1
            # dbt tests carry no description; their metadata says how many rows failed.
            failing_rows = evaluation.metadata.get("dagster_dbt/failed_row_count")
            description = evaluation.description or (
                f"{failing_rows.value} failing row(s)" if failing_rows else "check failed"
            )
            send_alert(
                "check_failure",
                f"check {evaluation.check_name} on {evaluation.asset_key.to_user_string()} failed",
                {
                    "check": evaluation.check_name,
                    "asset": evaluation.asset_key.to_user_string(),
                    "severity": evaluation.severity.value,
                    "run_id": record.event_log_entry.run_id,
                    "description": description.splitlines()[0],
                },
                webhook_url=settings.alert_webhook_url,
                attempts=settings.alert_webhook_attempts,
            )
        if records:
            context.update_cursor(str(records[-1].storage_id))
        # The sensor launches no runs; the reason says what this tick did.
        return SkipReason(f"alerted on {failures} failed of {len(records)} new check evaluations")

    return [run_failure_alert, check_failure_alert]
