"""Operator settings of the orchestration, read from the environment.

Schedules, freshness limits and the alert webhook change without a code change:
set the variable and reload the code location (or restart `make run`).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

from pydantic_settings import BaseSettings, SettingsConfigDict


class OrchestrationSettings(BaseSettings):
    model_config = SettingsConfigDict(env_file=None, extra="ignore")

    # The engine the dbt models run on: `postgres` (one database does everything) or
    # `spark` (raw tables exported to the Parquet lake, the models built on Spark, the
    # marts loaded back into PostgreSQL; see docs/scaling.md).
    pulse_warehouse: Literal["postgres", "spark"] = "postgres"

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
    # Slack-compatible incoming webhook; unset: alerts are only logged.
    alert_webhook_url: str | None = None
    alert_webhook_attempts: int = 3


@lru_cache
def get_orchestration_settings() -> OrchestrationSettings:
    return OrchestrationSettings()
