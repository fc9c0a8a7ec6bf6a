"""Queries over the published segment relations (read-only; dbt owns them).

Every function takes the request's `AsyncSession` and runs plain SQL against the
relations named in `ingest.segments.published`. A missing relation surfaces as
`psycopg.errors.UndefinedTable`; callers wrap reads in `reading_published()` to
answer 503 before the first publication.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, text
from sqlalchemy.ext.asyncio import AsyncSession

from ingest.segments.published import (
    USER_SEGMENT,
    USER_SEGMENT_CHANGES,
    USER_SEGMENT_HISTORY,
)

# The player's profile as `analytics.user_segment` publishes it: the values the rules read.
# dbt's macro `pulse_segment_profile_columns` declares it (tests/admin/test_profile_columns.py
# holds this list to it).
PROFILE_COLUMNS = (
    "created_at",
    "roulette_plays",
    "dice_plays",
    "lottery_plays",
    "total_play_duration",
    "last_bonus_used_at",
    "last_login_at",
    "last_play_at",
    "last_charge_at",
    "deposit_30d",
    "last_active_at",
    "updated_at",
)

CHANGE_COLUMNS = "change_id, user_id, from_segment, to_segment, changed_at, as_of"


async def _rows(session: AsyncSession, sql: str, **params: Any) -> Sequence[Row[Any]]:
    return (await session.execute(text(sql), params)).all()


async def segment_counts(session: AsyncSession) -> Sequence[Row[Any]]:
    return await _rows(
        session,
        f"select segment, count(*) as users, max(as_of) as as_of, "
        f"max(computed_at) as computed_at from {USER_SEGMENT} group by segment",
    )


async def live_overrides_by_segment(session: AsyncSession) -> dict[str, int]:
    """Unexpired overrides per segment name (whether or not the catalogue holds it)."""
    rows = await _rows(
        session,
        "select segment, count(*) as overrides from app.segment_overrides "
        "where expires_at is null or expires_at > now() group by segment",
    )
    return {row.segment: int(row.overrides) for row in rows}


async def segment_users(
    session: AsyncSession, segment: str, after_user_id: int | None, limit: int
) -> Sequence[Row[Any]]:
    after = "and user_id > :after" if after_user_id is not None else ""
    return await _rows(
        session,
        f"select user_id, rule, last_active_at, deposit_30d, created_at from {USER_SEGMENT} "
        f"where segment = :segment {after} order by user_id limit :limit",
        segment=segment,
        after=after_user_id,
        limit=limit,
    )


async def user_segment(session: AsyncSession, user_id: int) -> Row[Any] | None:
    """The player, their published segment and profile, and their unexpired override, if any.

    The override is returned whatever its segment: whether it applies depends on the
    published catalogue, which the caller has.
    """
    profile = ", ".join(f"published.{column} as profile_{column}" for column in PROFILE_COLUMNS)
    rows = await _rows(
        session,
        f"""
        select
            users.id as user_id,
            published.segment,
            published.rule,
            published.matched_segments,
            published.as_of,
            published.computed_at,
            published.user_id is not null as is_published,
            {profile},
            override.segment as override_segment,
            override.reason as override_reason,
            override.expires_at as override_expires_at,
            override.created_by as override_created_by,
            override.created_at as override_created_at
        from app.users as users
        left join {USER_SEGMENT} as published on published.user_id = users.id
        left join app.segment_overrides as override
            on override.user_id = users.id
            and (override.expires_at is null or override.expires_at > now())
        where users.id = :user_id
        """,
        user_id=user_id,
    )
    return rows[0] if rows else None


async def user_exists(session: AsyncSession, user_id: int) -> bool:
    rows = await _rows(session, "select 1 from app.users where id = :user_id", user_id=user_id)
    return bool(rows)


async def membership_periods(session: AsyncSession, user_id: int) -> Sequence[Row[Any]]:
    return await _rows(
        session,
        f"select segment, rule, dbt_valid_from as valid_from, dbt_valid_to as valid_to "
        f"from {USER_SEGMENT_HISTORY} where user_id = :user_id order by dbt_valid_from",
        user_id=user_id,
    )


async def override_events(session: AsyncSession, user_id: int) -> Sequence[Row[Any]]:
    return await _rows(
        session,
        "select action, segment, reason, expires_at, actor, created_at as at "
        "from app.segment_override_audit where user_id = :user_id order by created_at, id",
        user_id=user_id,
    )


async def changes_after(
    session: AsyncSession,
    after: tuple[datetime, str] | None,
    since: datetime | None,
    limit: int,
) -> Sequence[Row[Any]]:
    """The feed in (changed_at, change_id) order, strictly after a cursor or from a time."""
    params: dict[str, Any] = {"limit": limit}
    if after is not None:
        where = "where (changed_at, change_id) > (:after_at, :after_id)"
        params.update(after_at=after[0], after_id=after[1])
    elif since is not None:
        where = "where changed_at >= :since"
        params.update(since=since)
    else:
        where = ""
    return await _rows(
        session,
        f"select {CHANGE_COLUMNS} from {USER_SEGMENT_CHANGES} {where} "
        f"order by changed_at, change_id limit :limit",
        **params,
    )


async def recent_changes(session: AsyncSession, limit: int) -> Sequence[Row[Any]]:
    return await _rows(
        session,
        f"select {CHANGE_COLUMNS} from {USER_SEGMENT_CHANGES} "
        f"order by changed_at desc, change_id desc limit :limit",
        limit=limit,
    )


async def size_steps(session: AsyncSession) -> Sequence[Row[Any]]:
    """Net change in each segment's size at every snapshot time, oldest first.

    Each history row adds a member at dbt_valid_from and removes it at dbt_valid_to;
    a running sum of these steps gives every segment's size after each snapshot.
    """
    return await _rows(
        session,
        f"""
        with steps as (
            select dbt_valid_from as at, segment, 1 as delta from {USER_SEGMENT_HISTORY}
            union all
            select dbt_valid_to as at, segment, -1 as delta from {USER_SEGMENT_HISTORY}
            where dbt_valid_to is not null
        )
        select at, segment, sum(delta) as delta from steps group by at, segment order by at
        """,
    )
