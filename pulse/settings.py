"""Settings every part of Pulse shares, and the paths derived from `PULSE_HOME`.

The service's settings (`ingest.config`) and the pipeline's (`orchestration.config`)
extend `PulseSettings`, so one `DATABASE_URL` and one `PULSE_HOME` configure all of
Pulse.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class PulseSettings(BaseSettings):
    model_config = SettingsConfigDict(env_file=None, extra="ignore")

    # A SQLAlchemy URL, e.g. postgresql+psycopg://user:pass@host:5432/pulse.
    # Unset: Pulse starts an embedded PostgreSQL with its data under pulse_home.
    database_url: str | None = None
    # Everything Pulse writes on this machine lives under it (see the properties below).
    pulse_home: Path = PROJECT_ROOT / ".pulse"
    # A published user_segment older than this is stale: the admin API says so and the
    # pipeline's freshness check fails, so the console's label and the alert agree.
    pulse_segment_max_age_minutes: int = 120

    @property
    def log_dir(self) -> Path:
        """Logs of the processes `pulse run` starts (Dagster's webserver and daemon)."""
        return self.pulse_home / "logs"

    @property
    def default_dagster_home(self) -> Path:
        """Dagster's instance when DAGSTER_HOME is unset."""
        return self.pulse_home / "dagster"

    @property
    def default_lake_dir(self) -> Path:
        """The Parquet lake of the Spark warehouse when PULSE_LAKE_DIR is unset."""
        return self.pulse_home / "lake"

    @property
    def spark_runs_dir(self) -> Path:
        """Where each Spark run gets its own folder (configuration, metastore, warehouse)."""
        return self.pulse_home / "spark"


@lru_cache
def get_settings() -> PulseSettings:
    return PulseSettings()


def child_environment(
    extra: Mapping[str, str] | None = None, *, path_first: Path | None = None
) -> dict[str, str]:
    """The environment of a child process: this process's, then `extra`; with
    `path_first`, that folder first on PATH (the venv's commands, venv activated or not)."""
    environment = {**os.environ, **(extra or {})}
    if path_first is not None:
        environment["PATH"] = os.pathsep.join([str(path_first), os.environ.get("PATH", "")])
    return environment
