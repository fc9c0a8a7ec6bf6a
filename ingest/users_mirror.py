"""Writes to `app.users`, the service's mirror of the platform's users.

Events and deposit-feed rows may arrive before the platform has sent the user:
`ensure_users` creates the missing rows (so foreign keys hold and nothing is
dropped) and a later `upsert_users` from the platform corrects them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

_ENSURE = text(
    """
    insert into app.users (id, created_at)
    select * from unnest(cast(:ids as integer[]), cast(:created_at as timestamptz[]))
    on conflict (id) do nothing
    """
)

# xmax = 0 only on a row this statement inserted: it tells created from updated.
_UPSERT = text(
    """
    insert into app.users (id, created_at, last_login_at)
    select * from unnest(
        cast(:ids as integer[]),
        cast(:created_at as timestamptz[]),
        cast(:last_login_at as timestamptz[])
    )
    on conflict (id) do update
        set created_at = excluded.created_at,
            last_login_at = excluded.last_login_at,
            updated_at = now()
    returning id, (xmax = 0) as created, updated_at
    """
)


@dataclass(frozen=True, slots=True)
class UserRow:
    user_id: int
    created_at: datetime
    last_login_at: datetime | None


@dataclass(frozen=True, slots=True)
class UpsertedUser:
    user_id: int
    created: bool
    updated_at: datetime


async def ensure_users(connection: AsyncConnection, first_seen: Mapping[int, datetime]) -> None:
    """Create the users in `first_seen` that do not exist, created_at = their first sighting."""
    # Sorted, so concurrent transactions lock the same keys in the same order.
    ids = sorted(first_seen)
    await connection.execute(
        _ENSURE, {"ids": ids, "created_at": [first_seen[user_id] for user_id in ids]}
    )


async def upsert_users(
    connection: AsyncConnection, rows: Sequence[UserRow]
) -> dict[int, UpsertedUser]:
    """Insert or overwrite each user (user ids must be unique in `rows`)."""
    ordered = sorted(rows, key=lambda row: row.user_id)
    result = await connection.execute(
        _UPSERT,
        {
            "ids": [row.user_id for row in ordered],
            "created_at": [row.created_at for row in ordered],
            "last_login_at": [row.last_login_at for row in ordered],
        },
    )
    return {
        row.id: UpsertedUser(user_id=row.id, created=row.created, updated_at=row.updated_at)
        for row in result
    }
