"""Storing the platform's deposit feed: every snapshot kept, the current row kept newest.

For each row, in one transaction with the others:
- the snapshot goes to `ranking_snapshots` unless that `(user_id, updated_at)` is
  already there (then the row is `unchanged`: a resend);
- `external_ranking_data` takes the row only if it is newer than what is stored
  (`updated`); an older row is `stale`: its snapshot stays for history (charges are
  derived from snapshots), the current row is untouched.
Within one request, only the newest new snapshot of a user can become current.

Other services write `external_ranking_data` directly; the table's triggers (Alembic
revision 0004) keep their snapshots. For the rows written here they change nothing:
a row the API accepts is never clamped or stamped, and the snapshot the trigger would
append at commit is already stored, so it adds none.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Literal

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from ingest.users_mirror import ensure_users

FeedStatus = Literal["updated", "unchanged", "stale"]

_INSERT_SNAPSHOTS = text(
    """
    insert into app.ranking_snapshots (user_id, deposit_amount, updated_at)
    select * from unnest(
        cast(:user_ids as integer[]),
        cast(:amounts as numeric[]),
        cast(:updated_at as timestamptz[])
    )
    on conflict (user_id, updated_at) do nothing
    returning user_id, updated_at
    """
)

# The WHERE makes an older row a no-op under the row lock, so concurrent feeds cannot
# move the current row backwards.
_UPSERT_CURRENT = text(
    """
    insert into app.external_ranking_data (user_id, deposit_amount, updated_at)
    select * from unnest(
        cast(:user_ids as integer[]),
        cast(:amounts as numeric[]),
        cast(:updated_at as timestamptz[])
    )
    on conflict (user_id) do update
        set deposit_amount = excluded.deposit_amount, updated_at = excluded.updated_at
        where app.external_ranking_data.updated_at < excluded.updated_at
    returning user_id
    """
)


@dataclass(frozen=True, slots=True)
class FeedRow:
    user_id: int
    deposit_amount: Decimal
    updated_at: datetime


async def apply_feed(connection: AsyncConnection, rows: Sequence[FeedRow]) -> list[FeedStatus]:
    """Store `rows` in the caller's transaction; one status per row, in input order."""
    first_seen: dict[int, datetime] = {}
    for row in rows:
        known = first_seen.get(row.user_id)
        if known is None or row.updated_at < known:
            first_seen[row.user_id] = row.updated_at
    await ensure_users(connection, first_seen)

    # A resent (user_id, updated_at) inside one request is stored once, as first sent.
    unique: dict[tuple[int, datetime], FeedRow] = {}
    for row in rows:
        unique.setdefault((row.user_id, row.updated_at), row)
    ordered = sorted(unique.values(), key=lambda row: (row.user_id, row.updated_at))
    inserted_result = await connection.execute(_INSERT_SNAPSHOTS, _columns(ordered))
    inserted = {(user_id, updated_at) for user_id, updated_at in inserted_result}

    newest: dict[int, FeedRow] = {}
    for row in ordered:
        if (row.user_id, row.updated_at) in inserted:
            newest[row.user_id] = row  # ordered by updated_at: the last one wins
    candidates = [newest[user_id] for user_id in sorted(newest)]
    became_current: set[int] = set()
    if candidates:
        current_result = await connection.execute(_UPSERT_CURRENT, _columns(candidates))
        became_current = set(current_result.scalars())

    statuses: list[FeedStatus] = []
    claimed: set[tuple[int, datetime]] = set()
    for row in rows:
        key = (row.user_id, row.updated_at)
        if key not in inserted or key in claimed:
            statuses.append("unchanged")
        elif row.user_id in became_current and newest[row.user_id].updated_at == row.updated_at:
            statuses.append("updated")
        else:
            statuses.append("stale")
        claimed.add(key)
    return statuses


def _columns(rows: Sequence[FeedRow]) -> dict[str, list[object]]:
    return {
        "user_ids": [row.user_id for row in rows],
        "amounts": [row.deposit_amount for row in rows],
        "updated_at": [row.updated_at for row in rows],
    }
