"""Pulse's Dagster instance: where DAGSTER_HOME is and which dagster.yaml it uses.

Operators need no Dagster setup beyond DATABASE_URL. With DAGSTER_HOME unset the
instance lives in `<PULSE_HOME>/dagster`; an empty DAGSTER_HOME works too. Either
way the directory gets one of the project's instance files:

- `orchestration/instance/dagster.yaml` (default): SQLite storage under DAGSTER_HOME;
- `orchestration/instance/dagster-postgres.yaml` with `PULSE_DAGSTER_STORAGE=postgres`:
  run/event/schedule storage in schema `dagster` of the DATABASE_URL database.

A dagster.yaml the operator wrote by hand is never replaced.
"""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from orchestration.config import current_orchestration_settings
from pulse.database_url import database_url

INSTANCE_FILES = Path(__file__).resolve().parent / "instance"
STORAGE_FILES = {
    "sqlite": INSTANCE_FILES / "dagster.yaml",
    "postgres": INSTANCE_FILES / "dagster-postgres.yaml",
}
DAGSTER_SCHEMA = "dagster"


def dagster_home() -> Path:
    """DAGSTER_HOME when set and non-empty, else `<PULSE_HOME>/dagster`."""
    settings = current_orchestration_settings()
    configured = settings.dagster_home.strip()
    if configured:
        return Path(configured).resolve()
    return settings.default_dagster_home.resolve()


def storage_choice() -> str:
    setting = current_orchestration_settings().pulse_dagster_storage
    choice = setting.strip().lower() or "sqlite"
    if choice not in STORAGE_FILES:
        raise ValueError(
            f"PULSE_DAGSTER_STORAGE must be one of {sorted(STORAGE_FILES)} (got {choice!r})"
        )
    return choice


def dagster_postgres_url() -> str:
    """DATABASE_URL with the psycopg2 driver and Dagster's own schema on the search path."""
    url = make_url(database_url()).set(drivername="postgresql+psycopg2")
    url = url.update_query_dict({"options": f"-csearch_path={DAGSTER_SCHEMA}"})
    return url.render_as_string(hide_password=False)


def _ensure_dagster_schema() -> None:
    engine = create_engine(database_url())
    with engine.begin() as connection:
        connection.execute(text(f"create schema if not exists {DAGSTER_SCHEMA}"))
    engine.dispose()


def prepare_dagster_home() -> Path:
    """Create DAGSTER_HOME with the chosen instance file and export it; return the directory."""
    home = dagster_home()
    home.mkdir(parents=True, exist_ok=True)
    instance_file = home / "dagster.yaml"
    chosen = STORAGE_FILES[storage_choice()].read_text()
    ours = {path.read_text() for path in STORAGE_FILES.values()}
    if not instance_file.exists() or instance_file.read_text() in ours:
        instance_file.write_text(chosen)
    os.environ["DAGSTER_HOME"] = str(home)
    os.environ["PULSE_DAGSTER_PG_URL"] = dagster_postgres_url()
    if "PULSE_DAGSTER_PG_URL" in instance_file.read_text():
        _ensure_dagster_schema()
    return home
