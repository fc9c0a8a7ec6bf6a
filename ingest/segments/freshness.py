"""How old the published segments may be before the admin API calls them stale.

The same variable, `PULSE_SEGMENT_MAX_AGE_MINUTES`, sets the pipeline's freshness
check, so the console's "fresh/stale" label and the orchestration's alert agree.
The API reads it itself so that it does not depend on the orchestration package.
"""

from __future__ import annotations

from functools import lru_cache

from pydantic_settings import BaseSettings, SettingsConfigDict


class FreshnessSettings(BaseSettings):
    model_config = SettingsConfigDict(env_file=None, extra="ignore")

    pulse_segment_max_age_minutes: int = 120


@lru_cache
def segment_max_age_seconds() -> int:
    return FreshnessSettings().pulse_segment_max_age_minutes * 60
