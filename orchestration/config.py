"""Operator settings of the orchestration, read from the environment.

One object, `OrchestrationSettings`, extends Pulse's shared settings (`pulse.settings`:
the database, `PULSE_HOME` and the paths under it, the segments' maximum age) with the
pipeline's own. Orchestration code reads its settings through it, never from
`os.environ`. Schedules, freshness limits and the alert webhook change without a code
change: set the variable and reload the code location (or restart `make run`).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationError, field_validator

from orchestration.lake.location import parse_lake_location
from pulse.settings import PulseSettings


class OrchestrationSettings(PulseSettings):
    # The engine the dbt models run on: `postgres` (one database does everything) or
    # `spark` (raw tables exported to the Parquet lake, the models built on Spark, the
    # marts loaded back into PostgreSQL; see docs/scaling.md).
    pulse_warehouse: Literal["postgres", "spark"] = "postgres"
    # The Parquet lake of the Spark path: a folder, or a URL (`file:///...`,
    # `s3://bucket/prefix`, `gs://bucket/prefix`); empty: `<PULSE_HOME>/lake`. Checked here
    # so a wrong value stops the code location and the scripts at start, not the first export.
    pulse_lake_dir: str = ""
    # How far behind the newest row the lake export stops (rows still being written).
    pulse_lake_export_lag_seconds: float = 300

    # The Spark path (orchestration/lake/spark_env.py): how dbt reaches Spark (`session`
    # or `thrift`), the master of a session run, a run's folder (empty: a new folder under
    # `<PULSE_HOME>/spark`), the warehouse a cluster writes (empty: the run folder's) and
    # two sizes fit for two cores.
    pulse_spark_method: str = "session"
    pulse_spark_master: str = "local[*]"
    pulse_spark_dir: str = ""
    pulse_spark_warehouse_dir: str = ""
    pulse_spark_shuffle_partitions: str = "8"
    pulse_spark_driver_memory: str = "2g"

    # Dagster's instance: DAGSTER_HOME (empty: `<PULSE_HOME>/dagster`) and its storage,
    # `sqlite` or `postgres` (checked by orchestration/instance.py).
    dagster_home: str = ""
    pulse_dagster_storage: str = "sqlite"

    # Where `pulse run` serves the API and the Dagster UI.
    pulse_host: str = "127.0.0.1"
    pulse_port: str = "8000"
    pulse_dagster_port: str = "3000"

    # Cron expressions, evaluated in `pulse_schedule_timezone`.
    pulse_incremental_cron: str = "*/15 * * * *"
    pulse_full_refresh_cron: str = "0 3 * * *"
    pulse_schedule_timezone: str = "Asia/Seoul"
    # How often the freshness checks and raw-table observations run.
    pulse_freshness_cron: str = "*/10 * * * *"
    # No new deposit snapshot for this long fails the deposit feed's freshness check.
    pulse_deposit_feed_max_silence_minutes: int = 360
    # Event-driven refresh (orchestration/event_refresh.py): an incremental refresh starts
    # when something arrived after the published run and no refresh is queued or running.
    pulse_event_refresh_enabled: bool = True
    # How often the event-driven refresh looks for something new.
    pulse_event_refresh_tick_seconds: int = Field(default=5, ge=1)
    # At most one refresh started by the event-driven refresh per this many seconds,
    # counted from when the latest refresh of any kind was requested.
    pulse_refresh_min_interval_seconds: int = Field(default=30, ge=0)
    # Alert (once per episode) when the oldest event or deposit not yet in the published
    # segments is older than this; 0 turns the alert off (the lag is still reported).
    pulse_segment_lag_alert_seconds: int = Field(default=600, ge=0)
    # Slack-compatible incoming webhook; unset: alerts are only logged.
    alert_webhook_url: str | None = None
    alert_webhook_attempts: int = 3

    @field_validator("pulse_lake_dir")
    @classmethod
    def _lake_location(cls, value: str) -> str:
        if value.strip():
            parse_lake_location(value)
        return value

    @property
    def spark_warehouse_dir(self) -> Path | None:
        """PULSE_SPARK_WAREHOUSE_DIR, when a cluster's Thrift server chose the warehouse."""
        return Path(self.pulse_spark_warehouse_dir) if self.pulse_spark_warehouse_dir else None


@lru_cache
def get_orchestration_settings() -> OrchestrationSettings:
    """The settings as the code location loaded them (read once per process)."""
    return OrchestrationSettings()


def current_orchestration_settings() -> OrchestrationSettings:
    """The settings as the environment has them now (read on every call): for what a
    process sets for itself or its children while it runs (DAGSTER_HOME, a Spark run's
    folder, the lake of a benchmark)."""
    return OrchestrationSettings()


def settings_problem() -> str | None:
    """What is wrong with the settings, in one line (None when nothing): for scripts,
    which report a bad setting like a bad argument instead of with a traceback."""
    try:
        get_orchestration_settings()
    except ValidationError as error:
        lines = []
        for detail in error.errors():
            name = str(detail["loc"][0]).upper() if detail["loc"] else "settings"
            message = detail["msg"].removeprefix("Value error, ")
            lines.append(message if message.startswith(name) else f"{name}: {message}")
        return "; ".join(lines)
    return None
