"""The Dagster instance files: embedded SQLite by default, PostgreSQL by configuration."""

from __future__ import annotations

from pathlib import Path

import pytest
from dagster import DagsterInstance, QueuedRunCoordinator, job, op
from sqlalchemy import Engine, text

from orchestration.instance import STORAGE_FILES, prepare_dagster_home


@op
def say_hello() -> str:
    return "hello"


@job
def hello() -> None:
    say_hello()


def test_default_instance_is_sqlite_under_an_empty_dagster_home(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))
    monkeypatch.delenv("PULSE_DAGSTER_STORAGE", raising=False)
    home = prepare_dagster_home()
    assert (home / "dagster.yaml").read_text() == STORAGE_FILES["sqlite"].read_text()
    with DagsterInstance.get() as instance:
        assert hello.execute_in_process(instance=instance).success
        assert len(instance.get_runs()) == 1
    assert (home / "history").is_dir()  # SQLite run storage under DAGSTER_HOME


@pytest.mark.parametrize("storage", sorted(STORAGE_FILES))
def test_the_run_queue_dequeues_every_second_one_refresh_at_a_time(
    storage: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))
    monkeypatch.setenv("PULSE_DAGSTER_STORAGE", storage)
    monkeypatch.setenv("PULSE_DAGSTER_PG_URL", "")
    prepare_dagster_home()
    with DagsterInstance.get() as instance:
        coordinator = instance.run_coordinator
        assert isinstance(coordinator, QueuedRunCoordinator)
        assert coordinator.dequeue_interval_seconds == 1
        limits = instance.get_concurrency_config().run_queue_config.tag_concurrency_limits
        assert {"key": "pulse/refresh", "limit": 1} in limits


def test_postgres_instance_keeps_dagster_tables_in_their_own_schema(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))
    monkeypatch.setenv("PULSE_DAGSTER_STORAGE", "postgres")
    monkeypatch.setenv("PULSE_DAGSTER_PG_URL", "")  # restored after the test
    home = prepare_dagster_home()
    assert (home / "dagster.yaml").read_text() == STORAGE_FILES["postgres"].read_text()
    with DagsterInstance.get() as instance:
        result = hello.execute_in_process(instance=instance)
        assert result.success
        assert instance.get_run_by_id(result.run_id) is not None
    with engine.connect() as connection:
        stored = connection.execute(
            text("select count(*) from dagster.runs where run_id = :id"), {"id": result.run_id}
        ).scalar_one()
    assert stored == 1
    assert not (home / "history").exists()


def test_a_hand_written_instance_file_is_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))
    custom = "telemetry:\n  enabled: false\n# operator's own settings\n"
    (tmp_path / "dagster.yaml").write_text(custom)
    prepare_dagster_home()
    assert (tmp_path / "dagster.yaml").read_text() == custom


def test_unknown_storage_choice_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PULSE_DAGSTER_STORAGE", "mysql")
    with pytest.raises(ValueError, match="PULSE_DAGSTER_STORAGE"):
        prepare_dagster_home()


@pytest.mark.parametrize("value", [None, "", "   "])
def test_unset_or_empty_dagster_home_means_the_project_default(
    value: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    from orchestration.instance import dagster_home
    from pulse.settings import get_settings

    if value is None:
        monkeypatch.delenv("DAGSTER_HOME", raising=False)
    else:
        monkeypatch.setenv("DAGSTER_HOME", value)
    assert dagster_home() == (get_settings().pulse_home / "dagster").resolve()
