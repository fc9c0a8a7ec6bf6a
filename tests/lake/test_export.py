"""The lake export: each row exactly once across exports, late rows included, watermark durable.

Each test runs with the lake given as a folder and as a `file://` URL: the export
writes through a pyarrow filesystem either way (object stores take the same code).
"""

from __future__ import annotations

import shutil
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pyarrow.dataset as ds
import pyarrow.parquet as pq
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


def test_every_value_survives_the_trip_through_copy(
    engine: Engine, empty_watermarks: None, lake: Lake
) -> None:
    """Rows leave PostgreSQL as CSV: text with separators, quotes and line breaks, empty
    text next to NULL, decimals and microseconds must come out as they went in."""
    moment = datetime(2026, 3, 1, 23, 59, 59, 123456, tzinfo=UTC)
    add_user_with_events(engine, 1, moment, events=1)
    tricky = 'line one, "quoted"\nline two;\ttab'
    with engine.begin() as connection:
        connection.execute(
            text(
                "insert into app.segment_overrides (user_id, segment, reason, created_by, "
                "expires_at) values (1, 'VIP', :reason, '', null)"
            ),
            {"reason": tricky},
        )
        connection.execute(
            text(
                "insert into app.ranking_snapshots (user_id, deposit_amount, updated_at) "
                "values (1, 1234567.5, :at), (1, 0, :at + interval '1 second')"
            ),
            {"at": moment},
        )
        connection.execute(
            text(
                "update app.activity_events set play_duration_seconds = 61, "
                "event_type = 'play_duration'"
            )
        )
    export_lake(engine, lake.setting, lag=timedelta(0))

    [override] = lake_rows(lake.folder, "segment_overrides")
    assert override["reason"] == tricky
    assert override["created_by"] == ""
    assert override["expires_at"] is None
    deposits = sorted(row["deposit_amount"] for row in lake_rows(lake.folder, "ranking_snapshots"))
    assert deposits == [Decimal("0.00"), Decimal("1234567.50")]
    [event] = lake_rows(lake.folder, "activity_events")
    assert event["occurred_at"] == moment
    assert event["play_duration_seconds"] == 61
    [user] = lake_rows(lake.folder, "users")
    assert user["created_at"] == moment
    assert user["last_login_at"] is None


def test_rows_of_many_days_are_written_in_row_groups_per_day(
    engine: Engine, empty_watermarks: None, lake: Lake, monkeypatch: pytest.MonkeyPatch
) -> None:
    # small CSV blocks (a few rows per batch) and small row groups, so the per-day
    # buffers gather rows of several batches and flush in the middle of the export
    monkeypatch.setattr("orchestration.lake.export.CSV_BLOCK_BYTES", 256)
    monkeypatch.setattr("orchestration.lake.export.ROW_GROUP_ROWS", 3)
    start = datetime(2026, 5, 1, 12, tzinfo=UTC)
    add_user_with_events(engine, 1, start, events=0)
    with engine.begin() as connection:
        # five deposit snapshots on each of three days, stored (received) on those days
        connection.execute(
            text(
                "insert into app.ranking_snapshots (user_id, deposit_amount, updated_at, "
                "received_at) select 1, n, :start + n * interval '5 hours', "
                ":start + n * interval '5 hours' from generate_series(0, 14) as n"
            ),
            {"start": start},
        )
    assert export_lake(engine, lake.setting, lag=timedelta(0))["ranking_snapshots"] == 15

    rows = lake_rows(lake.folder, "ranking_snapshots")
    assert sorted(int(row["deposit_amount"]) for row in rows) == list(range(15))
    for row in rows:
        assert str(row["received_date"]) == row["received_at"].date().isoformat()
    files = list((lake.folder / "ranking_snapshots").rglob("*.parquet"))
    assert len(files) == len({row["received_date"] for row in rows})
    groups = [
        [metadata.row_group(i).num_rows for i in range(metadata.num_row_groups)]
        for metadata in (pq.ParquetFile(file).metadata for file in files)
    ]
    assert max(len(sizes) for sizes in groups) > 1
    # every row group but a file's last one is full: slices of several batches were gathered
    assert all(size >= 3 for sizes in groups for size in sizes[:-1])
