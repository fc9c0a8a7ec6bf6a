"""dbt's connection comes from the same DATABASE_URL as the rest of Pulse."""

from __future__ import annotations

import os

from sqlalchemy.engine import make_url

from ingest.dbt_env import DBT_PROJECT_DIR, dbt_environment


def test_dbt_environment_points_at_database_url() -> None:
    url = make_url(os.environ["DATABASE_URL"])
    environment = dbt_environment()
    assert environment["PULSE_DB_HOST"] == url.host
    assert environment["PULSE_DB_PORT"] == str(url.port or 5432)
    assert environment["PULSE_DB_USER"] == url.username
    assert environment["PULSE_DB_NAME"] == url.database
    assert environment["DBT_PROFILES_DIR"] == str(DBT_PROJECT_DIR)
    assert (DBT_PROJECT_DIR / "profiles.yml").is_file()
