"""dbt's connection comes from the same DATABASE_URL as the rest of Pulse."""

from __future__ import annotations

import os
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from pulse.dbt_env import DBT_PROJECT_DIR, dbt_environment


def test_dbt_environment_points_at_database_url() -> None:
    url = make_url(os.environ["DATABASE_URL"])
    environment = dbt_environment()
    # A TCP URL names its host; a unix-socket URL (the embedded PostgreSQL) has none and
    # gives the socket directory as `?host=`, which libpq takes as its host.
    assert environment["PULSE_DB_HOST"] == (url.host or url.query["host"])
    assert environment["PULSE_DB_PORT"] == str(url.port or 5432)
    assert environment["PULSE_DB_USER"] == url.username
    assert environment["PULSE_DB_NAME"] == url.database
    assert environment["DBT_PROFILES_DIR"] == str(DBT_PROJECT_DIR)
    assert (DBT_PROJECT_DIR / "profiles.yml").is_file()

    # The connection dbt's profile makes reaches the same server and database.
    identity = "select current_database(), system_identifier from pg_control_system()"
    engine = create_engine(url)
    with engine.connect() as connection:
        expected = tuple(connection.execute(text(identity)).one())
    engine.dispose()
    with psycopg.connect(
        host=environment["PULSE_DB_HOST"],
        port=environment["PULSE_DB_PORT"],
        user=environment["PULSE_DB_USER"],
        password=environment["PULSE_DB_PASSWORD"],
        dbname=environment["PULSE_DB_NAME"],
    ) as connection:
        assert connection.execute(identity).fetchone() == expected


def test_dbt_sessions_get_their_settings_and_keep_the_callers_options(
    fresh_dbt: None, dbt_target_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dbt.cli.main import dbtRunner

    monkeypatch.setenv("PGOPTIONS", "-c statement_timeout=600000")
    options = dbt_environment()["PGOPTIONS"]
    assert options == (
        "-c statement_timeout=600000 -c jit=off -c work_mem=128MB "
        "-c maintenance_work_mem=256MB -c TimeZone=UTC"
    )
    monkeypatch.setenv("PGOPTIONS", options)
    assert dbt_environment()["PGOPTIONS"] == options  # applying it twice changes nothing

    # what dbt's own connection reports
    outcome = dbtRunner().invoke(
        [
            "show",
            "--inline",
            "select current_setting('jit') as jit, current_setting('work_mem') as work_mem, "
            "current_setting('maintenance_work_mem') as maintenance_work_mem, "
            "current_setting('TimeZone') as time_zone, "
            "current_setting('statement_timeout') as statement_timeout",
            "--project-dir",
            str(DBT_PROJECT_DIR),
            "--profiles-dir",
            str(DBT_PROJECT_DIR),
            "--target-path",
            str(dbt_target_dir / "show"),
            "--quiet",
        ]
    )
    assert outcome.success, outcome.exception
    row = outcome.result.results[0].agate_table.rows[0]
    settings = ("jit", "work_mem", "maintenance_work_mem", "time_zone", "statement_timeout")
    assert tuple(row[name] for name in settings) == ("off", "128MB", "256MB", "UTC", "10min")


@pytest.mark.parametrize("threads", [None, "2"])
def test_dbt_runs_as_many_threads_as_pulse_dbt_threads_says(
    threads: str | None,
    dbt_environment_applied: None,
    dbt_target_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from dbt.cli.main import dbtRunner
    from dbt_common.events.base_types import EventMsg

    if threads is None:
        monkeypatch.delenv("PULSE_DBT_THREADS", raising=False)
    else:
        monkeypatch.setenv("PULSE_DBT_THREADS", threads)
    reported: list[int] = []

    def note_concurrency(event: EventMsg) -> None:
        if event.info.name == "ConcurrencyLine":
            reported.append(event.data.num_threads)

    outcome = dbtRunner(callbacks=[note_concurrency]).invoke(
        [
            "compile",
            "--select",
            "segment_catalogue",
            "--project-dir",
            str(DBT_PROJECT_DIR),
            "--profiles-dir",
            str(DBT_PROJECT_DIR),
            "--target-path",
            str(dbt_target_dir / "threads"),
            "--quiet",
        ]
    )
    assert outcome.success, outcome.exception
    assert reported == [int(threads or 4)]
