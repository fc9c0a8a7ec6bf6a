"""Running a job of the code location in this process, with a line of progress per step.

`pulse segment-users` runs its refresh this way: the run is recorded in the Pulse
instance (it shows in the UI like a scheduled one), and the operator sees its steps,
materializations and failed checks as they happen, on stderr.
"""

from __future__ import annotations

import contextlib
import sys
import threading
import time
import uuid
from typing import Any

# Dagster's own console logger would print every event; the progress lines replace it.
QUIET_LOGGERS = {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}}


class ProgressPrinter(threading.Thread):
    """Prints one line per step, materialization and failed check while a run executes."""

    def __init__(self, instance: Any, run_id: str) -> None:
        super().__init__(daemon=True)
        self.instance = instance
        self.run_id = run_id
        self.started = time.monotonic()
        self.finished = threading.Event()
        self.checks_passed = 0
        self.cursor: str | None = None

    def line(self, text: str) -> None:
        print(f"[{time.monotonic() - self.started:6.1f}s] {text}", file=sys.stderr, flush=True)

    def run(self) -> None:
        while not self.finished.is_set():
            self.drain()
            self.finished.wait(0.5)
        self.drain()

    def drain(self) -> None:
        from dagster import DagsterEventType

        try:
            connection = self.instance.get_records_for_run(self.run_id, cursor=self.cursor)
        except Exception:  # the run row may not exist yet
            return
        self.cursor = connection.cursor
        for record in connection.records:
            entry = record.event_log_entry
            event = entry.dagster_event
            if event is None:
                # The dry run logs one line per finished dbt model and test.
                if entry.step_key == "dry_run_user_segment":
                    self.line(entry.user_message)
                continue
            kind = event.event_type
            if kind == DagsterEventType.RUN_START:
                self.line(f"run {self.run_id} started ({event.job_name})")
            elif kind == DagsterEventType.ASSET_OBSERVATION:
                observation = event.event_specific_data.asset_observation
                rows = observation.metadata.get("dagster/row_count")
                count = f" ({rows.value} rows)" if rows is not None else ""
                self.line(f"observed {observation.asset_key.to_user_string()}{count}")
            elif kind == DagsterEventType.ASSET_MATERIALIZATION:
                key = event.event_specific_data.materialization.asset_key
                self.line(f"built {key.to_user_string()}")
            elif kind == DagsterEventType.ASSET_CHECK_EVALUATION:
                evaluation = event.event_specific_data
                if evaluation.passed:
                    self.checks_passed += 1
                else:
                    self.line(
                        f"check FAILED: {evaluation.check_name} on "
                        f"{evaluation.asset_key.to_user_string()}"
                    )
            elif kind == DagsterEventType.STEP_START and event.step_key:
                self.line(f"step {event.step_key} started")
            elif kind == DagsterEventType.STEP_FAILURE:
                self.line(f"step {event.step_key} FAILED")

    def stop(self) -> None:
        self.finished.set()
        self.join()
        if self.checks_passed:
            self.line(f"{self.checks_passed} checks passed")


def execute(job_name: str, run_config: dict[str, Any], tags: dict[str, str]) -> Any:
    """Run a job of the code location in this process, recorded in the Pulse instance."""
    from dagster import DagsterInstance

    from orchestration.definitions import defs

    instance = DagsterInstance.get()
    run_id = str(uuid.uuid4())
    progress = ProgressPrinter(instance, run_id)
    progress.start()
    # dbt's own log lines are progress too, but stdout is reserved for the result (--json).
    with contextlib.redirect_stdout(sys.stderr):
        try:
            result = defs.resolve_job_def(job_name).execute_in_process(
                run_config={**run_config, **QUIET_LOGGERS},
                instance=instance,
                raise_on_error=False,
                run_id=run_id,
                tags=tags,
            )
        finally:
            progress.stop()
    return result
