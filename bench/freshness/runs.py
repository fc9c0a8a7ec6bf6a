"""The refresh runs of a benchmark, read from the Dagster instance and dbt's logs.

For each `segment_refresh` / `segment_full_refresh` run created in a time window: when
it was requested, started and ended, and where its time went, in order:
- `launch`: requested → the run's worker started (the run queue's dequeue, the worker
  process starting and loading the code location);
- `before_dbt`: → the dbt step starts (observing the raw tables);
- `dbt_invoke`: → dbt says "Running with dbt" (dagster-dbt preparing the command, the
  dbt process starting and importing dbt);
- `dbt_parse`: → dbt has its manifest (partial parsing when nothing changed);
- `on_run_start`: → the first node starts (the hooks: the segment declaration's check);
- `build`: → the on-run-end hook starts (every model and test of the run; the models'
  own times are in `models`, the rest of it is the tests);
- `publish`: → dbt ends (the on-run-end hook: the publish gate's transaction);
- `dbt_to_step_end`: → the dbt step ends (dagster-dbt turning the last events into
  materializations and check results);
- `after_dbt`: → the run ends.
dbt's own timings come from the run's target folder (`dbt_project/target/
pulse_dbt_models-<run id>-*`), which dagster-dbt keeps.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from dagster import DagsterEventType, DagsterInstance, RunsFilter

REFRESH_JOBS = ("segment_refresh", "segment_full_refresh")
DBT_STEP = "pulse_dbt_models"
TARGETS = Path(__file__).resolve().parents[2] / "dbt_project" / "target"
# dbt's milestones in its log: the first message that matches each.
MILESTONES = {
    "running": re.compile(r"Running with dbt"),
    "parsed": re.compile(r"Concurrency:"),
    "first_node": re.compile(r"1 of \d+ START (?!hook)"),
    "on_run_end": re.compile(r"\d+ of \d+ START hook: pulse\.on-run-end"),
    "ended": re.compile(r"Command end result"),
}
# The phase that ends at each milestone.
PHASE_ENDING_AT = {
    "running": "dbt_invoke",
    "parsed": "dbt_parse",
    "first_node": "on_run_start",
    "on_run_end": "build",
    "ended": "publish",
}


@dataclass
class RefreshRun:
    run_id: str
    job_name: str
    status: str
    trigger: str
    requested: float
    started: float | None
    ended: float | None
    phases: dict[str, float] = field(default_factory=dict)
    models: dict[str, float] = field(default_factory=dict)

    @property
    def duration(self) -> float | None:
        """Requested → ended: what a waiting event sees of the run."""
        return None if self.ended is None else self.ended - self.requested

    def as_json(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "job": self.job_name,
            "status": self.status,
            "trigger": self.trigger,
            "requested": self.requested,
            "started": self.started,
            "ended": self.ended,
            "duration_seconds": self.duration,
            "phases_seconds": self.phases,
            "models_seconds": self.models,
        }


def _dbt_marks(target: Path) -> dict[str, float]:
    """Moments (Unix time) of dbt's milestones in a run's `dbt.log`."""
    marks: dict[str, float] = {}
    log = target / "dbt.log"
    if not log.exists():
        return marks
    for line in log.read_text().splitlines():
        info = json.loads(line).get("info", {})
        message, at = info.get("msg", ""), info.get("ts")
        if at is None:
            continue
        moment = datetime.fromisoformat(at.replace("Z", "+00:00")).timestamp()
        for name, pattern in MILESTONES.items():
            if name not in marks and pattern.match(message):
                marks[name] = moment
    return marks


def _model_seconds(target: Path) -> dict[str, float]:
    results = target / "run_results.json"
    if not results.exists():
        return {}
    return {
        result["unique_id"].split(".")[-1]: float(result["execution_time"])
        for result in json.loads(results.read_text())["results"]
        if result["unique_id"].startswith("model.")
    }


def _phases(instance: DagsterInstance, run: RefreshRun) -> None:
    step_start = step_end = None
    for record in instance.get_records_for_run(run.run_id).records:
        event = record.event_log_entry.dagster_event
        if event is None or event.step_key != DBT_STEP:
            continue
        if event.event_type == DagsterEventType.STEP_START:
            step_start = record.event_log_entry.timestamp
        elif event.event_type in (DagsterEventType.STEP_SUCCESS, DagsterEventType.STEP_FAILURE):
            step_end = record.event_log_entry.timestamp
    targets = sorted(TARGETS.glob(f"{DBT_STEP}-{run.run_id[:7]}-*"))
    marks = _dbt_marks(targets[0]) if targets else {}
    run.models = _model_seconds(targets[0]) if targets else {}
    moments = [
        ("launch", run.started),
        ("before_dbt", step_start),
        *((PHASE_ENDING_AT[name], marks.get(name)) for name in MILESTONES),
        ("dbt_to_step_end", step_end),
        ("after_dbt", run.ended),
    ]
    previous = run.requested
    for name, moment in moments:
        if moment is None:
            continue
        run.phases[name] = moment - previous
        previous = moment


def refresh_runs(instance: DagsterInstance, since: float, until: float) -> list[RefreshRun]:
    """The refresh runs requested between `since` and `until` (Unix times), oldest first."""
    runs: list[RefreshRun] = []
    for job_name in REFRESH_JOBS:
        for record in instance.get_run_records(RunsFilter(job_name=job_name)):
            requested = record.create_timestamp.timestamp()
            if not since <= requested <= until:
                continue
            dagster_run = record.dagster_run
            run = RefreshRun(
                run_id=dagster_run.run_id,
                job_name=job_name,
                status=dagster_run.status.value,
                trigger=dagster_run.tags.get("pulse/trigger")
                or dagster_run.tags.get("dagster/sensor_name")
                or dagster_run.tags.get("dagster/schedule_name")
                or "manual",
                requested=requested,
                started=record.start_time,
                ended=record.end_time,
            )
            _phases(instance, run)
            runs.append(run)
    return sorted(runs, key=lambda run: run.requested)
