"""Real Dagster instances of the storages Pulse's instance files configure."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from dagster import DagsterInstance

from orchestration.instance import prepare_dagster_home

STORAGES = ("sqlite", "postgres")


@contextmanager
def pulse_instance(
    storage: str, home: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[DagsterInstance]:
    """An instance in a fresh DAGSTER_HOME: SQLite files there, or schema `dagster` of the
    test database (shared by every test that uses it)."""
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    monkeypatch.setenv("PULSE_DAGSTER_STORAGE", storage)
    monkeypatch.setenv("PULSE_DAGSTER_PG_URL", "")  # restored after the test
    prepare_dagster_home()
    with DagsterInstance.get() as instance:
        yield instance
