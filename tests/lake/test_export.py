"""The lake export: each row exactly once across exports, late rows included, watermark durable.

Each test runs with the lake given as a folder and as a `file://` URL: the export
writes through a pyarrow filesystem either way (object stores take the same code).
"""

from __future__ import annotations

import shutil
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow.dataset as ds
import pytest
from sqlalchemy import Engine, text

from orchestration.lake.export import export_lake


def lake_rows(lake: Path, table: str) -> list[dict[str, object]]:
    folder = lake / table
    if not folder.exists():
        return []
    return ds.dataset(folder, format="parquet", partitioning="hive").to_table().to_pylist()


def add_user_with_events(engine: Engine, user_id: int, occurred_at: datetime, events: int) -> None:
    with engine.begin() as connection:
        connection.execute(
            text("insert into app.users (id, created_at) values (:id, :at)"),
            {"id": user_id, "at": occurred_at},
        )
        for _ in range(events):
            connection.execute(
                text(
                    "insert into app.activity_events (event_id, user_id, event_type, occurred_at) "
                    "values (:event_id, :user_id, 'dice_play', :occurred_at)"
                ),
                {"event_id": uuid.uuid4(), "user_id": user_id, "occurred_at": occurred_at},
            )


def add_override(engine: Engine, user_id: int, segment: str, reason: str) -> None:
    with engine.begin() as connection:
        connection.execute(
            text(
                "insert into app.segment_overrides (user_id, segment, reason, created_by) "
                "values (:user_id, :segment, :reason, 'ops')"
            ),
            {"user_id": user_id, "segment": segment, "reason": reason},
        )


@dataclass(frozen=True)
class Lake:
    folder: Path  # where the test reads the files
    setting: str  # what the export is given (PULSE_LAKE_DIR)


@pytest.fixture(params=["folder", "file-url"])
def lake(request: pytest.FixtureRequest, tmp_path: Path) -> Lake:
    folder = tmp_path / "lake"
    return Lake(folder, folder.as_uri() if request.param == "file-url" else str(folder))


@pytest.fixture
def empty_watermarks(engine: Engine, clean_tables: None) -> None:
    with engine.begin() as connection:
        connection.execute(text("delete from app.lake_export_watermarks"))


def test_rows_are_exported_once_including_late_ones(
    engine: Engine, empty_watermarks: None, lake: Lake
) -> None:
    now = datetime.now(UTC)
    add_user_with_events(engine, 1, now - timedelta(hours=1), events=3)

    first = export_lake(engine, lake.setting, lag=timedelta(0))
    assert first["activity_events"] == 3
    assert first["users"] == 1

    # a late event: it happened 40 days ago but is stored now
    add_user_with_events(engine, 2, now - timedelta(days=40), events=2)
    second = export_lake(engine, lake.setting, lag=timedelta(0))
    assert second["activity_events"] == 2
    assert export_lake(engine, lake.setting, lag=timedelta(0))["activity_events"] == 0

    with engine.connect() as connection:
        stored = set(
            connection.scalars(text("select cast(event_id as text) from app.activity_events"))
        )
    exported = [row["event_id"] for row in lake_rows(lake.folder, "activity_events")]
    assert sorted(exported) == sorted(stored)
    # partitioned by the UTC day the row was stored, not the day it happened
    with engine.connect() as connection:
        stored_days = set(
            connection.scalars(
                text(
                    "select distinct to_char(received_at at time zone 'UTC', 'YYYY-MM-DD') "
                    "from app.activity_events"
                )
            )
        )
    assert {
        str(row["received_date"]) for row in lake_rows(lake.folder, "activity_events")
    } == stored_days


def test_rows_newer_than_the_safety_lag_wait_for_the_next_export(
    engine: Engine, empty_watermarks: None, lake: Lake
) -> None:
    add_user_with_events(engine, 1, datetime.now(UTC), events=2)

    # stored less than an hour ago: an export with a one-hour lag leaves them for later
    assert export_lake(engine, lake.setting, lag=timedelta(hours=1))["activity_events"] == 0
    assert export_lake(engine, lake.setting, lag=timedelta(0))["activity_events"] == 2
    assert len(lake_rows(lake.folder, "activity_events")) == 2


def test_a_changed_user_is_exported_again_and_overrides_are_copied_whole(
    engine: Engine, empty_watermarks: None, lake: Lake
) -> None:
    add_user_with_events(engine, 1, datetime.now(UTC), events=0)
    add_override(engine, 1, "VIP", "partner")
    export_lake(engine, lake.setting, lag=timedelta(0))
    with engine.begin() as connection:
        connection.execute(
            text("update app.users set last_login_at = now(), updated_at = now() where id = 1")
        )
        connection.execute(text("delete from app.segment_overrides"))
    counts = export_lake(engine, lake.setting, lag=timedelta(0))

    assert counts["users"] == 1
    versions = lake_rows(lake.folder, "users")
    assert len(versions) == 2
    assert sum(version["last_login_at"] is not None for version in versions) == 1
    # a deleted override is gone from the lake
    assert lake_rows(lake.folder, "segment_overrides") == []


def test_a_new_copy_of_the_overrides_replaces_every_older_one(
    engine: Engine, empty_watermarks: None, lake: Lake
) -> None:
    add_user_with_events(engine, 1, datetime.now(UTC), events=0)
    add_user_with_events(engine, 2, datetime.now(UTC), events=0)
    add_override(engine, 1, "VIP", "partner")
    export_lake(engine, lake.setting, lag=timedelta(0))
    # An export interrupted after writing its copy and before deleting the old one
    # leaves two copies (Spark's unique test on the overrides would stop the build).
    [copy] = (lake.folder / "segment_overrides").rglob("*.parquet")
    shutil.copy(copy, copy.with_name("copy-interrupted.parquet"))
    assert len(lake_rows(lake.folder, "segment_overrides")) == 2

    add_override(engine, 2, "NEW", "welcome")
    assert export_lake(engine, lake.setting, lag=timedelta(0))["segment_overrides"] == 2

    overrides = sorted(
        (row["user_id"], row["segment"]) for row in lake_rows(lake.folder, "segment_overrides")
    )
    assert overrides == [(1, "VIP"), (2, "NEW")]
    assert len(list((lake.folder / "segment_overrides").rglob("*.parquet"))) == 1
