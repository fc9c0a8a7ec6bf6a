"""The one write path for activity events: a multi-row insert that stores each event_id once.

Every caller (the group-commit writer behind `/record`, the `/batch` route) hands a
list of rows to `write_events`, which stores them in a transaction of their own. The
statements have a fixed text, so PostgreSQL plans them once per connection.

Almost always every event_id of a write is new (a client retry is the exception), so
`write_events` first tries a plain INSERT, which costs PostgreSQL less than
`ON CONFLICT DO NOTHING` (figures in docs/benchmarks.md). If any id is already stored,
the primary key refuses the whole statement (nothing of it is stored) and
`insert_events` (the ON CONFLICT statement, which tells each row's outcome) runs in a
transaction.

Rows are sorted (users by id, events by event_id) so that concurrent transactions
take their index locks in the same order and cannot deadlock on each other.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

import orjson
from psycopg import errors as pg_errors
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

Outcome = Literal["accepted", "duplicate", "conflict"]

# One statement, one round trip: the rows travel as one JSON array (binding six Python
# lists as PostgreSQL arrays cost more client time than the insert itself); unknown users
# get their `users` row (created_at = their earliest event here) in the same statement,
# and the foreign key is checked at its end, after both inserts.
_ROWS_AND_NEW_USERS = """
    with rows as materialized (
        select * from jsonb_to_recordset(cast(:rows as jsonb)) as rows (
            event_id uuid,
            user_id integer,
            event_type text,
            occurred_at timestamptz,
            play_duration_seconds integer,
            metadata jsonb
        )
    ),
    new_users as (
        insert into app.users (id, created_at)
        select user_id, min(occurred_at) from rows group by user_id order by user_id
        on conflict (id) do nothing
    )
"""

# Every id is new (else the primary key refuses it all): nothing to read back.
_INSERT_NEW_EVENTS = text(
    _ROWS_AND_NEW_USERS
    + """
    insert into app.activity_events
        (event_id, user_id, event_type, occurred_at, play_duration_seconds, metadata)
    select event_id, user_id, event_type, occurred_at, play_duration_seconds, metadata
    from rows
    """
)

# Some ids may be stored already. The answer is one row: how many rows were inserted and,
# only when that is not all of them, their ids.
_INSERT_EVENTS = text(
    _ROWS_AND_NEW_USERS
    + """,
    inserted as (
        insert into app.activity_events
            (event_id, user_id, event_type, occurred_at, play_duration_seconds, metadata)
        select event_id, user_id, event_type, occurred_at, play_duration_seconds, metadata
        from rows
        on conflict (event_id) do nothing
        returning event_id
    )
    select
        count(*) as inserted,
        case when count(*) < :row_count then array_agg(event_id) end as inserted_ids
    from inserted
    """
)

_OWNERS = text(
    "select event_id, user_id from app.activity_events "
    "where event_id = any(cast(:event_ids as uuid[]))"
)


# Not slots=True: orjson writes a dataclass that has a __dict__ about twice as fast.
@dataclass
class EventRow:
    """One event to store. orjson writes a list of these as the statement's JSON array
    (field names are the column names; `metadata` is already validated JSON text)."""

    event_id: uuid.UUID
    user_id: int
    event_type: str
    occurred_at: datetime
    play_duration_seconds: int | None
    metadata: orjson.Fragment


_EVENTS_PRIMARY_KEY = "pk_activity_events"


async def write_events(
    engine: AsyncEngine, rows: Sequence[EventRow], *, all_or_nothing: bool
) -> list[Outcome]:
    """Store `rows` and commit; one outcome per row, in order (see `insert_events`).

    With `all_or_nothing`, a write in which any row is a conflict is rolled back
    instead: nothing of it is stored.
    """
    if len({row.event_id for row in rows}) == len(rows):
        # One statement is a transaction by itself (all of it is stored or nothing): in
        # autocommit it needs no BEGIN and no COMMIT, one round trip instead of three.
        document = orjson.dumps(sorted(rows, key=_event_id)).decode()
        try:
            async with engine.execution_options(isolation_level="AUTOCOMMIT").connect() as single:
                await single.execute(_INSERT_NEW_EVENTS, {"rows": document})
            return ["accepted"] * len(rows)
        except IntegrityError as error:
            if not _is_stored_already(error):
                raise
    async with engine.connect() as connection, connection.begin() as transaction:
        outcomes = await insert_events(connection, rows)
        if all_or_nothing and "conflict" in outcomes:
            await transaction.rollback()
    return outcomes


def _is_stored_already(error: IntegrityError) -> bool:
    """The plain insert met an event_id that is stored (or being stored) already."""
    cause = error.orig
    return (
        isinstance(cause, pg_errors.UniqueViolation)
        and cause.diag.constraint_name == _EVENTS_PRIMARY_KEY
    )


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
    if len(first_index) == len(rows):
        unique_rows = sorted(rows, key=_event_id)
    else:
        unique_rows = sorted((rows[index] for index in first_index.values()), key=_event_id)

    result = await connection.execute(
        _INSERT_EVENTS,
        {"rows": orjson.dumps(unique_rows).decode(), "row_count": len(unique_rows)},
    )
    answer = result.one()
    inserted: int = answer.inserted
    inserted_ids: list[uuid.UUID] | None = answer.inserted_ids
    if inserted == len(rows):
        return ["accepted"] * len(rows)  # every row is new and unique here: the common case
    not_inserted = (
        set(first_index).difference(inserted_ids or ()) if inserted < len(first_index) else set()
    )

    # Who owns each event_id: this group's first row for the ids inserted now, the stored
    # row (looked up) for the ids that were there before.
    owners = {
        event_id: rows[index].user_id
        for event_id, index in first_index.items()
        if event_id not in not_inserted
    }
    if not_inserted:
        stored = await connection.execute(_OWNERS, {"event_ids": list(not_inserted)})
        owners.update({row.event_id: row.user_id for row in stored})

    outcomes: list[Outcome] = []
    for index, row in enumerate(rows):
        event_id = row.event_id
        if first_index[event_id] == index and event_id not in not_inserted:
            outcomes.append("accepted")
        elif owners[event_id] == row.user_id:
            outcomes.append("duplicate")
        else:
            outcomes.append("conflict")
    return outcomes


def _event_id(row: EventRow) -> int:
    # The integer orders like the uuid (and like PostgreSQL's uuid index) and compares faster.
    return row.event_id.int
