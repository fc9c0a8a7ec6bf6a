"""Operator settings of the orchestration, read from the environment.

Schedules, freshness limits and the alert webhook change without a code change:
set the variable and reload the code location (or restart `make run`).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from orchestration.lake.location import parse_lake_location


class OrchestrationSettings(BaseSettings):
    model_config = SettingsConfigDict(env_file=None, extra="ignore")

    # The engine the dbt models run on: `postgres` (one database does everything) or
    # `spark` (raw tables exported to the Parquet lake, the models built on Spark, the
    # marts loaded back into PostgreSQL; see docs/scaling.md).
    pulse_warehouse: Literal["postgres", "spark"] = "postgres"
    # The Parquet lake of the Spark path: a folder, or a URL (`file:///...`,
    # `s3://bucket/prefix`, `gs://bucket/prefix`); empty: `.pulse/lake`. Checked here so a
    # wrong value stops the code location and the scripts at start, not the first export.
    pulse_lake_dir: str = ""

    # Cron expressions, evaluated in `pulse_schedule_timezone`.
    pulse_incremental_cron: str = "*/15 * * * *"
    pulse_full_refresh_cron: str = "0 3 * * *"
    pulse_schedule_timezone: str = "Asia/Seoul"
    # How often the freshness checks and raw-table observations run.
    pulse_freshness_cron: str = "*/10 * * * *"
    # A published user_segment older than this fails its freshness check.
    pulse_segment_max_age_minutes: int = 120
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


@lru_cache
def get_orchestration_settings() -> OrchestrationSettings:
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
