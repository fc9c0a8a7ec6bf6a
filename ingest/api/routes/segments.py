"""Admin API over the published segments: catalogue, sizes, members, transitions, CSV export.

Every list of segments comes from the published catalogue (`ingest.segments.catalogue`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Query, status
from fastapi.responses import StreamingResponse
from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncSession

from ingest.api.common import NOT_PUBLISHED
from ingest.api.deps import AdminDep, SessionDep
from ingest.segments import cursors, reads
from ingest.segments.catalogue import Catalogue, read_catalogue, require_entry
from ingest.segments.export import stream_export
from ingest.segments.freshness import segment_max_age_seconds
from ingest.segments.published import reading_published
from ingest.segments.schemas import (
    CatalogueEntryPublic,
    SegmentCatalogue,
    SegmentChange,
    SegmentChangesPage,
    SegmentMember,
    SegmentMembersPage,
    SegmentSize,
    SegmentSizeHistory,
    SegmentSizePoint,
    SegmentsSummary,
)
from ingest.segments.timestamps import as_utc

router = APIRouter(prefix="/admin/api/segments", tags=["admin: segments"])

SegmentPath = Annotated[
    str,
    Path(description="A segment of the published catalogue (case-insensitive)."),
]


async def _catalogue_and_counts(
    session: AsyncSession,
) -> tuple[Catalogue, Sequence[Row[Any]], dict[str, int]]:
    """The published catalogue, the published per-segment counts (with their as_of and
    computed_at) and the users per segment name."""
    catalogue = await read_catalogue(session)
    with reading_published():
        rows = await reads.segment_counts(session)
    return catalogue, rows, {row.segment: int(row.users) for row in rows}


@router.get(
    "",
    response_model=SegmentsSummary,
    summary="Users per segment and how fresh the published segments are",
    responses=NOT_PUBLISHED,
)
async def segments_summary(session: SessionDep, admin: AdminDep) -> SegmentsSummary:
    catalogue, rows, counts = await _catalogue_and_counts(session)
    overrides = await reads.live_overrides_by_segment(session)
    as_of = as_utc(max((row.as_of for row in rows if row.as_of), default=None))
    computed_at = as_utc(max((row.computed_at for row in rows if row.computed_at), default=None))
    max_age_seconds = segment_max_age_seconds()
    age = (datetime.now(UTC) - computed_at).total_seconds() if computed_at else None
    return SegmentsSummary(
        segments=[
            SegmentSize(
                segment=entry.name, users=counts.get(entry.name, 0), priority=entry.priority
            )
            for entry in catalogue.entries
        ],
        total_users=sum(counts.values()),
        as_of=as_of,
        computed_at=computed_at,
        age_seconds=round(age, 1) if age is not None else None,
        is_fresh=age is not None and age <= max_age_seconds,
        fresh_within_seconds=max_age_seconds,
        live_overrides=sum(overrides.values()),
        ignored_overrides=sum(
            count for name, count in overrides.items() if name not in catalogue.names
        ),
    )


@router.get(
    "/catalogue",
    response_model=SegmentCatalogue,
    summary="The published segments in priority order: rule, condition, description, size",
    responses=NOT_PUBLISHED,
)
async def segment_catalogue(session: SessionDep, admin: AdminDep) -> SegmentCatalogue:
    catalogue, _, counts = await _catalogue_and_counts(session)
    return SegmentCatalogue(
        entries=[
            CatalogueEntryPublic(
                priority=entry.priority,
                name=entry.name,
                rule=entry.rule,
                when=entry.when_sql,
                description=entry.description,
                description_ko=entry.description_ko,
                is_fallback=entry.is_fallback,
                users=counts.get(entry.name, 0),
            )
            for entry in catalogue.entries
        ],
        total_users=sum(counts.values()),
        as_of=catalogue.as_of,
        computed_at=catalogue.computed_at,
    )


@router.get(
    "/sizes",
    response_model=SegmentSizeHistory,
    summary="Segment sizes over time, after each published snapshot",
    responses=NOT_PUBLISHED,
)
async def segment_size_history(
    session: SessionDep,
    admin: AdminDep,
    points: Annotated[int, Query(ge=1, le=1000, description="Keep the latest N points.")] = 90,
) -> SegmentSizeHistory:
    catalogue = await read_catalogue(session)
    with reading_published():
        steps = await reads.size_steps(session)
    # Every published segment has a size at every point; segments the history holds but
    # the catalogue no longer does keep theirs.
    sizes = dict.fromkeys(catalogue.names, 0)
    history: list[SegmentSizePoint] = []
    for step in steps:
        at = as_utc(step.at)
        assert at is not None
        sizes[step.segment] = sizes.get(step.segment, 0) + int(step.delta)
        if history and history[-1].at == at:
            history[-1] = SegmentSizePoint(at=at, sizes=dict(sizes))
        else:
            history.append(SegmentSizePoint(at=at, sizes=dict(sizes)))
    return SegmentSizeHistory(points=history[-points:])


@router.get(
    "/changes",
    response_model=SegmentChangesPage,
    summary="Segment transitions feed (enter/exit events), cursor-paginated",
    description="Start with `since` = an ISO 8601 time (or nothing, for the whole feed), then "
    "pass the returned `next_cursor` as `since`. Ordered by (changed_at, change_id); a "
    "cursor never skips or repeats a transition.",
    responses={**NOT_PUBLISHED, 400: {"description": "Unreadable `since`"}},
)
async def segment_changes(
    session: SessionDep,
    admin: AdminDep,
    since: Annotated[str | None, Query(description="An ISO 8601 time, or a next_cursor.")] = None,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 1000,
) -> SegmentChangesPage:
    after: tuple[datetime, str] | None = None
    since_time: datetime | None = None
    if since and cursors.is_cursor(since):
        try:
            after = cursors.parse_change_cursor(since)
        except cursors.BadCursor as error:
            raise HTTPException(status.HTTP_400_BAD_REQUEST, detail=str(error)) from error
    elif since:
        try:
            since_time = datetime.fromisoformat(since)
        except ValueError as error:
            raise HTTPException(
                status.HTTP_400_BAD_REQUEST,
                detail="since must be an ISO 8601 time (e.g. 2026-01-31T00:00:00Z) "
                "or a next_cursor from this endpoint",
            ) from error
        if since_time.tzinfo is None:
            since_time = since_time.replace(tzinfo=UTC)
    with reading_published():
        rows = await reads.changes_after(session, after, since_time, limit + 1)
    has_more = len(rows) > limit
    items = [_change(row) for row in rows[:limit]]
    if items:
        next_cursor: str | None = cursors.change_cursor(items[-1].changed_at, items[-1].change_id)
    else:
        next_cursor = since if after is not None else None
    return SegmentChangesPage(items=items, next_cursor=next_cursor, has_more=has_more)


@router.get(
    "/changes/recent",
    response_model=list[SegmentChange],
    summary="The latest segment transitions, newest first",
    responses=NOT_PUBLISHED,
)
async def recent_segment_changes(
    session: SessionDep,
    admin: AdminDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> list[SegmentChange]:
    with reading_published():
        rows = await reads.recent_changes(session, limit)
    return [_change(row) for row in rows]


def _change(row: Row[Any]) -> SegmentChange:
    changed_at = as_utc(row.changed_at)
    assert changed_at is not None
    return SegmentChange(
        change_id=row.change_id,
        user_id=row.user_id,
        from_segment=row.from_segment,
        to_segment=row.to_segment,
        changed_at=changed_at,
        as_of=as_utc(row.as_of),
    )


@router.get(
    "/{segment}/users",
    response_model=SegmentMembersPage,
    summary="Members of a segment, keyset-paginated by user id",
    responses={
        **NOT_PUBLISHED,
        400: {"description": "Bad cursor"},
        404: {"description": "Unknown segment"},
    },
)
async def segment_members(
    segment: SegmentPath,
    session: SessionDep,
    admin: AdminDep,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    cursor: Annotated[str | None, Query(description="next_cursor of the previous page")] = None,
) -> SegmentMembersPage:
    name = require_entry(await read_catalogue(session), segment).name
    try:
        after = cursors.parse_user_cursor(cursor) if cursor else None
    except cursors.BadCursor as error:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, detail=str(error)) from error
    with reading_published():
        rows = await reads.segment_users(session, name, after, limit + 1)
    items = [
        SegmentMember(
            user_id=row.user_id,
            rule=row.rule,
            last_active_at=as_utc(row.last_active_at),
            deposit_30d=row.deposit_30d,
            created_at=as_utc(row.created_at),
        )
        for row in rows[:limit]
    ]
    next_cursor = cursors.user_cursor(items[-1].user_id) if len(rows) > limit else None
    return SegmentMembersPage(segment=name, items=items, next_cursor=next_cursor)


@router.get(
    "/{segment}/export",
    summary="All members of a segment as CSV (streamed)",
    response_class=StreamingResponse,
    responses={
        200: {"content": {"text/csv": {}}, "description": "CSV with a header row"},
        **NOT_PUBLISHED,
        404: {"description": "Unknown segment"},
    },
)
async def export_segment(
    segment: SegmentPath, session: SessionDep, admin: AdminDep
) -> StreamingResponse:
    name = require_entry(await read_catalogue(session), segment).name
    chunks = stream_export(await session.connection(), name)
    # Pull the first chunk here so a missing table is a 503, not a broken stream.
    with reading_published():
        first = await anext(chunks, b"")

    async def body() -> AsyncIterator[bytes]:
        yield first
        async for chunk in chunks:
            yield chunk

    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    return StreamingResponse(
        body(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="segment-{name}-{stamp}.csv"'},
    )
