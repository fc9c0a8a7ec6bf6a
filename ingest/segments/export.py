"""Streaming one segment's members as CSV straight out of PostgreSQL.

`COPY (...) TO STDOUT` hands the rows over in chunks as PostgreSQL produces them,
so memory stays flat however large the segment is, and the whole export reads
one consistent snapshot of the table.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from psycopg import sql
from sqlalchemy.ext.asyncio import AsyncConnection

from ingest.segments.published import USER_SEGMENT

CHUNK_BYTES = 256 * 1024

EXPORT_COLUMNS = (
    "user_id",
    "segment",
    "rule",
    "last_active_at",
    "deposit_30d",
    "created_at",
    "as_of",
    "computed_at",
)


def export_statement(segment: str) -> sql.Composed:
    schema, table = USER_SEGMENT.split(".")
    return sql.SQL(
        "copy (select {columns} from {relation} where segment = {segment} order by user_id) "
        "to stdout with (format csv, header true)"
    ).format(
        columns=sql.SQL(", ").join(sql.Identifier(column) for column in EXPORT_COLUMNS),
        relation=sql.Identifier(schema, table),
        segment=sql.Literal(segment),
    )


async def stream_export(connection: AsyncConnection, segment: str) -> AsyncIterator[bytes]:
    """CSV chunks of the segment's members, header first, in user_id order, read on the
    request's connection (its transaction stays open until the response is sent)."""
    raw = await connection.get_raw_connection()
    driver_connection = raw.driver_connection
    assert driver_connection is not None
    async with driver_connection.cursor() as cursor:
        # Timestamps in the CSV are UTC whatever the server's default zone is.
        await cursor.execute("set local time zone 'UTC'")
        async with cursor.copy(export_statement(segment)) as copy:
            # PostgreSQL sends one message per row: batch them into larger writes.
            buffer = bytearray()
            async for row in copy:
                buffer += row
                if len(buffer) >= CHUNK_BYTES:
                    yield bytes(buffer)
                    buffer.clear()
            if buffer:
                yield bytes(buffer)
