"""The one write path for activity events: a multi-row insert that stores each event_id once.

Every caller (the group-commit writer behind `/record`, the `/batch` route) hands a
list of rows to `insert_events` inside its own transaction. The statements have a
fixed text (arrays through `unnest`), so PostgreSQL plans them once per connection.

Rows are sorted (users by id, events by event_id) so that concurrent transactions
take their index locks in the same order and cannot deadlock on each other.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from ingest.users_mirror import ensure_users

Outcome = Literal["accepted", "duplicate", "conflict"]

# The rows travel as one JSON array (see `_rows_json`): binding six Python lists as
# PostgreSQL arrays cost more client time than the insert itself.
_INSERT_EVENTS = text(
    """
    insert into app.activity_events
        (event_id, user_id, event_type, occurred_at, play_duration_seconds, metadata)
    select event_id, user_id, event_type, occurred_at, play_duration_seconds, metadata
    from jsonb_to_recordset(cast(:rows as jsonb)) as rows (
        event_id uuid,
        user_id integer,
        event_type text,
        occurred_at timestamptz,
        play_duration_seconds integer,
        metadata jsonb
    )
    on conflict (event_id) do nothing
    returning event_id
    """
)

_OWNERS = text(
    "select event_id, user_id from app.activity_events "
    "where event_id = any(cast(:event_ids as uuid[]))"
)


@dataclass(frozen=True, slots=True)
class EventRow:
    event_id: uuid.UUID
    user_id: int
    event_type: str
    occurred_at: datetime
    play_duration_seconds: int | None
    metadata_json: str


async def insert_events(connection: AsyncConnection, rows: Sequence[EventRow]) -> list[Outcome]:
    """Insert `rows` (in the caller's transaction) and return one outcome per row, in order.

    accepted: this row was stored now (the first row of an event_id in `rows`);
    duplicate: the event_id is stored for the same user (earlier, or earlier in `rows`);
    conflict: the event_id is stored for another user; nothing was written for the row.
    Unknown users get a `users` row whose created_at is their earliest event here.
    """
    first_index: dict[uuid.UUID, int] = {}
    for index, row in enumerate(rows):
        first_index.setdefault(row.event_id, index)
    unique_rows = sorted((rows[index] for index in first_index.values()), key=_event_id)

    first_seen: dict[int, datetime] = {}
    for row in unique_rows:
        known = first_seen.get(row.user_id)
        if known is None or row.occurred_at < known:
            first_seen[row.user_id] = row.occurred_at
    await ensure_users(connection, first_seen)

    result = await connection.execute(_INSERT_EVENTS, {"rows": _rows_json(unique_rows)})
    inserted: set[uuid.UUID] = set(result.scalars())

    owners = {row.event_id: row.user_id for row in unique_rows if row.event_id in inserted}
    already_stored = [event_id for event_id in first_index if event_id not in inserted]
    if already_stored:
        stored = await connection.execute(_OWNERS, {"event_ids": already_stored})
        owners.update({row.event_id: row.user_id for row in stored})

    outcomes: list[Outcome] = []
    for index, row in enumerate(rows):
        if row.event_id in inserted and first_index[row.event_id] == index:
            outcomes.append("accepted")
        elif owners[row.event_id] == row.user_id:
            outcomes.append("duplicate")
        else:
            outcomes.append("conflict")
    return outcomes


def _rows_json(rows: Sequence[EventRow]) -> str:
    """The rows as a JSON array, written by hand: every field but metadata is a uuid, an
    integer, a known event type or an ISO timestamp (nothing to escape), and metadata is
    already validated JSON text, so it is embedded as it is instead of parsed again."""
    return "[" + ",".join(_row_json(row) for row in rows) + "]"


def _row_json(row: EventRow) -> str:
    duration = "null" if row.play_duration_seconds is None else str(row.play_duration_seconds)
    return (
        f'{{"event_id":"{row.event_id}","user_id":{row.user_id},'
        f'"event_type":"{row.event_type}","occurred_at":"{row.occurred_at.isoformat()}",'
        f'"play_duration_seconds":{duration},"metadata":{row.metadata_json}}}'
    )


def _event_id(row: EventRow) -> int:
    # The integer orders like the uuid (and like PostgreSQL's uuid index) and compares faster.
    return row.event_id.int
