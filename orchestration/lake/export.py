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
  default 300). A row becomes visible only at its commit, so a transaction still open
  at export time may hold rows older than "now"; the lag leaves such rows for the next
  export. Snapshots that other services' writes of `external_ranking_data` leave are
  inserted at commit with `received_at` = the commit's clock (a deferred trigger), so
  however long such a transaction stays open, its snapshot is never older than the
  lag when it appears. The service's own rows take `received_at`/`updated_at` at their
  transaction's start; its transactions last milliseconds.
- `segment_overrides` is small and its rows are edited and deleted by admins: a
  watermark cannot see a deletion, so it is copied whole on every export (replacing
  the previous copy; its watermark row only serializes the copies).

Rows leave PostgreSQL through `COPY (SELECT ...) TO STDOUT` as CSV, which pyarrow's
C++ reader turns into Arrow batches: no row becomes a Python object (reading rows
through a cursor managed about 100k rows/s; see docs/benchmarks.md). Timestamps travel
as integer microseconds since the epoch, so no time zone or text format is involved.

The lake is a local folder or an object-store URL (`location.py`); every write goes
through a pyarrow filesystem. Files are
`<lake>/<table>/<date column>=<UTC day>/from-<previous watermark>.parquet`.
The name depends only on where the interval starts: an export that wrote files but
failed before storing its watermark is retried from the same watermark and writes the
same names again (a superset of the rows), so a crash leaves no duplicate either.
"""

from __future__ import annotations

import io
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
from psycopg import sql
from pyarrow.fs import FileSelector, FileSystem, FileType
from sqlalchemy import Connection, Engine, text

from orchestration.config import current_orchestration_settings
from orchestration.lake.location import LakeLocation, parse_lake_location

TIMESTAMP = pa.timestamp("us", tz="UTC")
# Where nothing was exported yet: every row is newer.
BEGINNING = datetime(1970, 1, 1, tzinfo=UTC)
# Rows buffered per day before they are written as one Parquet row group: small row
# groups make Spark's scans slow, and a batch from PostgreSQL spans many days.
ROW_GROUP_ROWS = 100_000
# Bytes of CSV per Arrow batch.
CSV_BLOCK_BYTES = 8 << 20
MICROSECONDS_PER_DAY = 86_400_000_000


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


# The lake's tables, declared here only: dbt's Spark registration of them
# (macros/pulse_register_lake.sql) is held to this list by tests/lake/test_lake_schemas.py.
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
    return timedelta(seconds=current_orchestration_settings().pulse_lake_export_lag_seconds)


def lake_dir() -> LakeLocation:
    """The lake: PULSE_LAKE_DIR (a folder or an object-store URL), or `<PULSE_HOME>/lake`."""
    settings = current_orchestration_settings()
    return parse_lake_location(settings.pulse_lake_dir, default=settings.default_lake_dir)


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


def _copy_select(table: LakeTable, where: sql.Composable) -> sql.Composed:
    """The table's columns in schema order, as COPY writes them for `_read_csv`."""
    columns: list[sql.Composable] = []
    for field in table.schema:
        column = sql.Identifier(field.name)
        if pa.types.is_timestamp(field.type):
            columns.append(
                sql.SQL("cast(extract(epoch from {}) * 1000000 as bigint)").format(column)
            )
        elif field.name == "event_id":
            columns.append(sql.SQL("cast({} as text)").format(column))
        else:
            columns.append(column)
    return sql.SQL("copy (select {} from {} {}) to stdout (format csv)").format(
        sql.SQL(", ").join(columns), sql.Identifier("app", table.name), where
    )


class _CopyReader(io.RawIOBase):
    """COPY's output as a byte stream (one CSV row per message from the server)."""

    def __init__(self, copy: Any) -> None:
        self._copy = copy
        self._pending = memoryview(b"")

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        target = memoryview(buffer).cast("B")
        filled = 0
        while filled < len(target):
            if not self._pending:
                self._pending = memoryview(self._copy.read())
                if not self._pending:
                    break
            taken = min(len(self._pending), len(target) - filled)
            target[filled : filled + taken] = self._pending[:taken]
            self._pending = self._pending[taken:]
            filled += taken
        return filled


def _read_csv(
    connection: Connection, table: LakeTable, where: sql.Composable
) -> Iterator[pa.Table]:
    """The selected rows as Arrow tables of the lake's schema, read through COPY on the
    connection's own transaction (so under its watermark lock)."""
    # COPY writes NULL as an empty field and an empty string as "": only the former is null.
    csv_types = {
        field.name: pa.int64() if pa.types.is_timestamp(field.type) else field.type
        for field in table.schema
    }
    driver_connection = connection.connection.driver_connection
    assert driver_connection is not None, "the export's connection is open"
    with driver_connection.cursor() as cursor, cursor.copy(_copy_select(table, where)) as copy:
        stream = io.BufferedReader(_CopyReader(copy), buffer_size=1 << 20)
        if not stream.peek(1):
            return  # no rows (pyarrow refuses an empty CSV)
        reader = pa_csv.open_csv(
            stream,
            read_options=pa_csv.ReadOptions(
                column_names=table.schema.names, block_size=CSV_BLOCK_BYTES
            ),
            parse_options=pa_csv.ParseOptions(newlines_in_values=True),
            convert_options=pa_csv.ConvertOptions(
                column_types=csv_types,
                null_values=[""],
                strings_can_be_null=True,
                quoted_strings_can_be_null=False,
            ),
        )
        for batch in reader:
            yield pa.Table.from_batches([batch]).cast(table.schema)


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
    where = sql.SQL("where {column} > {previous} and {column} <= {cutoff}").format(
        column=sql.Identifier(table.date_column),
        previous=sql.Literal(previous),
        cutoff=sql.Literal(cutoff),
    )
    count, _ = _write_partitions(
        table, filesystem, folder, _read_csv(connection, table, where), f"from-{_stamp(previous)}"
    )
    _store_watermark(connection, table, cutoff)
    return count


def _export_whole_table(
    connection: Connection, table: LakeTable, filesystem: FileSystem, folder: str
) -> int:
    rows = _read_csv(connection, table, sql.SQL(""))
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
    table: LakeTable,
    filesystem: FileSystem,
    folder: str,
    batches: Iterator[pa.Table],
    file_stem: str,
) -> tuple[int, set[str]]:
    """Write the rows into one file per UTC day of the date column.

    Returns the row count and the paths of the files written."""
    writers: dict[int, tuple[str, pq.ParquetWriter]] = {}
    buffered: dict[int, list[pa.Table]] = {}
    count = 0

    def write(day: int) -> None:
        if day not in writers:
            iso_day = (datetime(1970, 1, 1) + timedelta(days=day)).date().isoformat()
            partition = f"{folder}/{table.partition}={iso_day}"
            filesystem.create_dir(partition, recursive=True)
            # Spark skips names starting with a dot: it never reads a file being written.
            temporary = f"{partition}/.{file_stem}.{uuid.uuid4().hex}.tmp"
            writers[day] = (
                temporary,
                pq.ParquetWriter(temporary, table.schema, filesystem=filesystem),
            )
        writers[day][1].write_table(pa.concat_tables(buffered.pop(day)))

    try:
        for batch in batches:
            count += batch.num_rows
            # the UTC day of each row, then the batch sorted by day and cut into runs
            days = pc.divide(batch.column(table.date_column).cast(pa.int64()), MICROSECONDS_PER_DAY)
            order = pc.sort_indices(days)
            batch = batch.take(order)
            days = days.take(order)
            runs = pc.value_counts(days)
            start = 0
            for run in runs.to_pylist():
                day, length = run["values"], run["counts"]
                buffered.setdefault(day, []).append(batch.slice(start, length))
                start += length
                if sum(part.num_rows for part in buffered[day]) >= ROW_GROUP_ROWS:
                    write(day)
        for day in list(buffered):
            write(day)
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
