"""Setting and clearing a player's segment override, each change written to the audit log.

The override row and its audit row are written in one transaction: an override
never exists without the record of who set it. The pipeline reads
`app.segment_overrides` on its next run; the admin API reads it live.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, insert, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from ingest.models import SegmentOverride, SegmentOverrideAudit, User


class UnknownUser(Exception):
    """No such player in app.users."""


class NoOverride(Exception):
    """The player has no override to clear."""


@dataclass(frozen=True)
class OverrideRecord:
    user_id: int
    segment: str
    reason: str
    expires_at: datetime | None
    created_by: str
    created_at: datetime


async def _require_user(session: AsyncSession, user_id: int) -> None:
    # Lock the user row so concurrent set/clear on one player are serialised.
    found = (
        await session.execute(select(User.id).where(User.id == user_id).with_for_update())
    ).scalar_one_or_none()
    if found is None:
        raise UnknownUser(user_id)


async def set_override(
    session: AsyncSession,
    user_id: int,
    segment: str,
    reason: str,
    expires_at: datetime | None,
    actor: str,
) -> OverrideRecord:
    await _require_user(session, user_id)
    values = {
        "user_id": user_id,
        "segment": segment,
        "reason": reason,
        "expires_at": expires_at,
        "created_by": actor,
    }
    upsert = (
        pg_insert(SegmentOverride)
        .values(**values, created_at=func.now())
        .on_conflict_do_update(
            index_elements=[SegmentOverride.user_id],
            set_={**values, "created_at": func.now()},
        )
        .returning(SegmentOverride.created_at)
    )
    created_at: datetime = (await session.execute(upsert)).scalar_one()
    await session.execute(
        insert(SegmentOverrideAudit).values(
            user_id=user_id,
            action="set",
            segment=segment,
            reason=reason,
            expires_at=expires_at,
            actor=actor,
        )
    )
    await session.commit()
    return OverrideRecord(user_id, segment, reason, expires_at, actor, created_at)


async def clear_override(session: AsyncSession, user_id: int, actor: str) -> OverrideRecord:
    """Deletes the override (expired or not) and records who cleared it."""
    await _require_user(session, user_id)
    removed = (
        await session.execute(
            delete(SegmentOverride)
            .where(SegmentOverride.user_id == user_id)
            .returning(
                SegmentOverride.segment,
                SegmentOverride.reason,
                SegmentOverride.expires_at,
                SegmentOverride.created_by,
                SegmentOverride.created_at,
            )
        )
    ).one_or_none()
    if removed is None:
        await session.rollback()
        raise NoOverride(user_id)
    await session.execute(
        insert(SegmentOverrideAudit).values(
            user_id=user_id, action="clear", segment=removed.segment, actor=actor
        )
    )
    await session.commit()
    return OverrideRecord(
        user_id,
        removed.segment,
        removed.reason,
        removed.expires_at,
        removed.created_by,
        removed.created_at,
    )
