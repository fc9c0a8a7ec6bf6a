"""Export of the raw tables to the Parquet lake that the Spark warehouse reads.

Append-only tables (`activity_events`, `ranking_snapshots`) and `users` are exported
incrementally. Each has a durable watermark in `app.lake_export_watermarks`: an
export takes the rows with `previous watermark < column <= cutoff`, writes them,
then stores `cutoff` as the new watermark in the same transaction that read them.
The intervals never overlap (no row exported twice) and leave no gap (none skipped).

- The column is the moment PostgreSQL stored the row: `received_at` for events and
  deposit snapshots, `updated_at` for users (no received_at there; every change of a
  user row sets it to now(), so a change is a new version in the lake and the Spark
  view keeps each user's newest). Late rows (an event that happened days ago but
  arrived now) have a new `received_at`, so they are in the next export.
- `cutoff` is the database's clock minus a safety lag (`PULSE_LAKE_EXPORT_LAG_SECONDS`,
  default 300). `received_at` is set when a writing transaction starts, but the row
  becomes visible only at its commit; a transaction still open at export time may
  hold rows older than "now". The lag leaves such rows for the next export, as long
  as no writing transaction stays open longer than the lag (the ingest service's
  transactions last milliseconds).
- `segment_overrides` is small and its rows are edited and deleted by admins: a
  watermark cannot see a deletion, so it is copied whole on every export (replacing
  the previous copy; its watermark row only serializes the copies).

The lake is a local folder or an object-store URL (`location.py`); every write goes
through a pyarrow filesystem. Files are
`<lake>/<table>/<date column>=<UTC day>/from-<previous watermark>.parquet`.
The name depends only on where the interval starts: an export that wrote files but
failed before storing its watermark is retried from the same watermark and writes the
same names again (a superset of the rows), so a crash leaves no duplicate either.
"""

from __future__ import annotations

import os
import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from pyarrow.fs import FileSelector, FileSystem, FileType
from sqlalchemy import Connection, Engine, TextClause, text

from orchestration.lake.location import SETTING, LakeLocation, parse_lake_location

TIMESTAMP = pa.timestamp("us", tz="UTC")
# Where nothing was exported yet: every row is newer.
BEGINNING = datetime(1970, 1, 1, tzinfo=UTC)
BATCH_ROWS = 100_000


@dataclass(frozen=True)
class LakeTable:
    name: str
    schema: pa.Schema
    # The column whose UTC day names the partition (and, for incremental tables, the watermark).
    date_column: str
    incremental: bool

    @property
    def partition(self) -> str:
        return self.date_column.removesuffix("_at") + "_date"


LAKE_TABLES = (
    LakeTable(
        "activity_events",
        pa.schema(
            [
                ("event_id", pa.string()),
                ("user_id", pa.int32()),
                ("event_type", pa.string()),
                ("occurred_at", TIMESTAMP),
                ("received_at", TIMESTAMP),
                ("play_duration_seconds", pa.int32()),
            ]
        ),
        "received_at",
        incremental=True,
    ),
    LakeTable(
        "ranking_snapshots",
        pa.schema(
            [
                ("id", pa.int64()),
                ("user_id", pa.int32()),
                ("deposit_amount", pa.decimal128(18, 2)),
                ("updated_at", TIMESTAMP),
                ("received_at", TIMESTAMP),
            ]
        ),
        "received_at",
        incremental=True,
    ),
    LakeTable(
        "users",
        pa.schema(
            [
                ("id", pa.int32()),
                ("created_at", TIMESTAMP),
                ("last_login_at", TIMESTAMP),
                ("updated_at", TIMESTAMP),
            ]
        ),
        "updated_at",
        incremental=True,
    ),
    LakeTable(
        "segment_overrides",
        pa.schema(
            [
                ("user_id", pa.int32()),
                ("segment", pa.string()),
                ("reason", pa.string()),
                ("expires_at", TIMESTAMP),
                ("created_by", pa.string()),
                ("created_at", TIMESTAMP),
            ]
        ),
        "created_at",
        incremental=False,
    ),
)


def default_lag() -> timedelta:
    return timedelta(seconds=float(os.environ.get("PULSE_LAKE_EXPORT_LAG_SECONDS", "300")))


def lake_dir() -> LakeLocation:
    """The lake: PULSE_LAKE_DIR (a folder or an object-store URL), or `.pulse/lake`."""
    from ingest.config import PROJECT_ROOT

    return parse_lake_location(
        os.environ.get(SETTING, ""), default=PROJECT_ROOT / ".pulse" / "lake"
    )


def export_lake(
    engine: Engine, lake: LakeLocation | Path | str, *, lag: timedelta | None = None
) -> dict[str, int]:
    """Export every raw table's new rows to `lake`; returns the rows written per table."""
    lag = default_lag() if lag is None else lag
    location = lake if isinstance(lake, LakeLocation) else parse_lake_location(str(lake))
    filesystem, root = location.filesystem()
    written: dict[str, int] = {}
    for table in LAKE_TABLES:
        folder = f"{root}/{table.name}"
        # Spark's table needs its folder even before the first row (an object store
        # makes an empty marker).
        filesystem.create_dir(folder, recursive=True)
        with engine.begin() as connection:
            previous = _lock_watermark(connection, table)
            if table.incremental:
                written[table.name] = _export_new_rows(
                    connection, table, filesystem, folder, previous, lag
                )
            else:
                written[table.name] = _export_whole_table(connection, table, filesystem, folder)
    return written


def _streamed(sql: str) -> TextClause:
    """A query read in batches through a server-side cursor (the event log does not fit memory)."""
    return text(sql).execution_options(stream_results=True, yield_per=BATCH_ROWS)


def _select(table: LakeTable, where: str) -> str:
    columns = ", ".join(
        f"cast({name} as text)" if name == "event_id" else name for name in table.schema.names
    )
    return f"select {columns} from app.{table.name} {where}"


def _lock_watermark(connection: Connection, table: LakeTable) -> datetime:
    """The table's watermark, row-locked until the transaction ends.

    The lock serializes exports of one table (a refresh's and a dry run's); the
    loser waits, then sees the winner's watermark."""
    connection.execute(
        text(
            "insert into app.lake_export_watermarks (table_name, exported_until) "
            "values (:name, :beginning) on conflict (table_name) do nothing"
        ),
        {"name": table.name, "beginning": BEGINNING},
    )
    previous: datetime = connection.execute(
        text(
            "select exported_until from app.lake_export_watermarks "
            "where table_name = :name for update"
        ),
        {"name": table.name},
    ).scalar_one()
    return previous


def _store_watermark(connection: Connection, table: LakeTable, until: datetime) -> None:
    connection.execute(
        text(
            "update app.lake_export_watermarks set exported_until = :until, exported_at = now() "
            "where table_name = :name"
        ),
        {"name": table.name, "until": until},
    )


def _export_new_rows(
    connection: Connection,
    table: LakeTable,
    filesystem: FileSystem,
    folder: str,
    previous: datetime,
    lag: timedelta,
) -> int:
    cutoff: datetime = connection.execute(
        text("select clock_timestamp() - :lag"), {"lag": lag}
    ).scalar_one()
    if cutoff <= previous:
        return 0
    rows = connection.execute(
        _streamed(
            _select(
                table,
                f"where {table.date_column} > :previous and {table.date_column} <= :cutoff",
            )
        ),
        {"previous": previous, "cutoff": cutoff},
    )
    count, _ = _write_partitions(table, filesystem, folder, rows, f"from-{_stamp(previous)}")
    _store_watermark(connection, table, cutoff)
    return count


def _export_whole_table(
    connection: Connection, table: LakeTable, filesystem: FileSystem, folder: str
) -> int:
    rows = connection.execute(_streamed(_select(table, "")))
    # The new copy under new names first, then the old copy deleted. Object stores cannot
    # rename a folder, and this order never shows a reader an empty table: a reader (or a
    # crash) in between sees both copies, which the unique test on the overrides' user_id
    # refuses, and the next export deletes the stale one.
    count, written = _write_partitions(table, filesystem, folder, rows, f"copy-{uuid.uuid4().hex}")
    _delete_all_but(filesystem, folder, written)
    # Not a bound here: when the copy in the lake was taken.
    _store_watermark(connection, table, connection.execute(text("select now()")).scalar_one())
    return count


def _delete_all_but(filesystem: FileSystem, folder: str, kept: set[str]) -> None:
    """Delete the files under `folder` not in `kept`, and the partitions left empty."""
    entries = filesystem.get_file_info(FileSelector(folder, recursive=True, allow_not_found=True))
    for entry in entries:
        if entry.type == FileType.File and entry.path not in kept:
            filesystem.delete_file(entry.path)
    kept_partitions = {path.rsplit("/", 1)[0] for path in kept}
    for entry in entries:
        if entry.type == FileType.Directory and entry.path not in kept_partitions:
            filesystem.delete_dir(entry.path)


def _write_partitions(
    table: LakeTable, filesystem: FileSystem, folder: str, rows: Any, file_stem: str
) -> tuple[int, set[str]]:
    """Write rows into one file per UTC day of the date column.

    Returns the row count and the paths of the files written."""
    writers: dict[date, tuple[str, pq.ParquetWriter]] = {}
    date_index = table.schema.names.index(table.date_column)
    count = 0
    try:
        for batch in rows.partitions():
            by_day: dict[date, list[tuple[Any, ...]]] = defaultdict(list)
            for row in batch:
                by_day[row[date_index].astimezone(UTC).date()].append(tuple(row))
            for day, day_rows in by_day.items():
                if day not in writers:
                    partition = f"{folder}/{table.partition}={day.isoformat()}"
                    filesystem.create_dir(partition, recursive=True)
                    # Spark skips names starting with a dot: it never reads a file being written.
                    temporary = f"{partition}/.{file_stem}.{uuid.uuid4().hex}.tmp"
                    writer = pq.ParquetWriter(temporary, table.schema, filesystem=filesystem)
                    writers[day] = (temporary, writer)
                columns = list(zip(*day_rows, strict=True))
                arrays = [
                    pa.array(values, type=field.type)
                    for values, field in zip(columns, table.schema, strict=True)
                ]
                writers[day][1].write_table(pa.Table.from_arrays(arrays, schema=table.schema))
                count += len(day_rows)
    except BaseException:
        for temporary, writer in writers.values():
            writer.close()
            filesystem.delete_file(temporary)
        raise
    written: set[str] = set()
    for temporary, writer in writers.values():
        writer.close()
        final = f"{temporary.rsplit('/', 1)[0]}/{file_stem}.parquet"
        # A local rename is atomic; an object store's move is a copy that appears whole.
        filesystem.move(temporary, final)
        written.add(final)
    return count, written


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%S%fZ")
