"""Admin API for one player's segment: explanation, overrides and history."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, status
from sqlalchemy import Row

from ingest.api.common import NOT_PUBLISHED, UserIdPath
from ingest.api.deps import AdminDep, SessionDep
from ingest.segments import overrides, reads
from ingest.segments.catalogue import Catalogue, read_catalogue
from ingest.segments.explain import parse_matched, rule_checks, rules_segment, summary
from ingest.segments.published import reading_published
from ingest.segments.schemas import (
    LiveOverride,
    MembershipPeriod,
    OverrideEvent,
    OverrideInfo,
    OverrideRequest,
    UserSegment,
    UserSegmentHistory,
)
from ingest.segments.timestamps import as_utc

router = APIRouter(prefix="/admin/api/users", tags=["admin: segments"])

UNKNOWN_USER: dict[int | str, dict[str, Any]] = {404: {"description": "No such user"}}


def _unknown_user(user_id: int) -> HTTPException:
    return HTTPException(status.HTTP_404_NOT_FOUND, detail=f"user {user_id} does not exist")


def _live_override(row: Row[Any], catalogue: Catalogue) -> LiveOverride | None:
    if row.override_segment is None:
        return None
    # The pipeline compares names exactly; so does this.
    applies = row.override_segment in catalogue.names
    return LiveOverride(
        segment=row.override_segment,
        reason=row.override_reason,
        expires_at=as_utc(row.override_expires_at),
        created_by=row.override_created_by,
        created_at=as_utc(row.override_created_at),  # type: ignore[arg-type]
        applies=applies,
        not_applied_reason=None
        if applies
        else (
            f"segment '{row.override_segment}' is not in the published catalogue "
            f"({', '.join(catalogue.names)}): the pipeline ignores this override and the "
            "rules decide. Clear it, or set a segment of the catalogue."
        ),
    )


def _override_info(record: overrides.OverrideRecord) -> OverrideInfo:
    return OverrideInfo(
        segment=record.segment,
        reason=record.reason,
        expires_at=as_utc(record.expires_at),
        created_by=record.created_by,
        created_at=record.created_at,
    )


def _pending(row: Row[Any], override: LiveOverride | None) -> str | None:
    """What the next pipeline run will change, when the live answer runs ahead of it.

    `override` is the override that applies, if any.
    """
    if override is not None and (row.rule != "override" or row.segment != override.segment):
        return "override set after the last pipeline run; the next run publishes it"
    if override is None and row.rule == "override":
        return (
            "override cleared or expired after the last pipeline run; "
            "the next run recomputes the segment from the rules"
        )
    if not row.is_published:
        return "the user joined after the last pipeline run; the next run segments them"
    return None


def _features(row: Row[Any]) -> dict[str, Any] | None:
    if not row.is_published:
        return None
    return {
        column: as_utc(value) if hasattr(value, "tzinfo") else value
        for column in reads.PROFILE_COLUMNS
        for value in [getattr(row, f"profile_{column}")]
    }


def user_segment_view(row: Row[Any], catalogue: Catalogue) -> UserSegment:
    override = _live_override(row, catalogue)
    applied = override if override is not None and override.applies else None
    live_rule = "override" if applied is not None else row.rule
    if applied is None and row.rule == "override":
        live_rule = None  # unknown until the pipeline recomputes it from the rules
    matched = parse_matched(row.matched_segments)
    live_segment = applied.segment if applied is not None else row.segment
    return UserSegment(
        user_id=row.user_id,
        segment=live_segment,
        rule=live_rule,
        is_override=applied is not None,
        override=override,
        published_segment=row.segment,
        published_rule=row.rule,
        rules_segment=rules_segment(matched),
        pending=_pending(row, applied),
        as_of=as_utc(row.as_of),
        computed_at=as_utc(row.computed_at),
        summary=summary(
            catalogue,
            is_published=row.is_published,
            published_rule=row.rule,
            published_segment=row.segment,
            matched=matched,
            override_segment=applied.segment if applied is not None else None,
        ),
        rules=rule_checks(catalogue, matched, by_rules=live_rule not in (None, "override")),
        features=_features(row),
    )


@router.get(
    "/{user_id}/segment",
    response_model=UserSegment,
    summary="A player's segment and why: each catalogue entry, whether it held, the profile",
    responses={**UNKNOWN_USER, **NOT_PUBLISHED},
)
async def get_user_segment(
    user_id: UserIdPath, session: SessionDep, admin: AdminDep
) -> UserSegment:
    catalogue = await read_catalogue(session)
    with reading_published():
        row = await reads.user_segment(session, user_id)
    if row is None:
        raise _unknown_user(user_id)
    return user_segment_view(row, catalogue)


@router.put(
    "/{user_id}/segment",
    response_model=OverrideInfo,
    summary="Override a player's segment (audited); the next pipeline run honours it",
    responses={
        **UNKNOWN_USER,
        **NOT_PUBLISHED,
        422: {"description": "Segment not in the published catalogue, blank reason, past expiry"},
    },
)
async def put_user_segment(
    user_id: UserIdPath, body: OverrideRequest, session: SessionDep, admin: AdminDep
) -> OverrideInfo:
    catalogue = await read_catalogue(session)
    entry = catalogue.find(body.segment)
    if entry is None:
        # The shape of a validation error, so clients read it like any other 422.
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            detail=[
                {
                    "loc": ["body", "segment"],
                    "field": "segment",
                    "msg": catalogue.unknown(body.segment),
                    "type": "unknown_segment",
                }
            ],
        )
    # The catalogue may change between this read and the write; an override whose segment
    # a later run drops is shown with `applies: false` and ignored by the pipeline.
    try:
        record = await overrides.set_override(
            session, user_id, entry.name, body.reason, body.expires_at, admin.subject
        )
    except overrides.UnknownUser as error:
        raise _unknown_user(user_id) from error
    return _override_info(record)


@router.delete(
    "/{user_id}/segment/override",
    response_model=OverrideInfo,
    summary="Clear a player's segment override (audited); returns the cleared override",
    responses={404: {"description": "No such user, or the user has no override"}},
)
async def delete_user_segment_override(
    user_id: UserIdPath, session: SessionDep, admin: AdminDep
) -> OverrideInfo:
    try:
        record = await overrides.clear_override(session, user_id, admin.subject)
    except overrides.UnknownUser as error:
        raise _unknown_user(user_id) from error
    except overrides.NoOverride as error:
        raise HTTPException(
            status.HTTP_404_NOT_FOUND, detail=f"user {user_id} has no segment override"
        ) from error
    return _override_info(record)


@router.get(
    "/{user_id}/segment/history",
    response_model=UserSegmentHistory,
    summary="A player's segment membership periods and override events",
    responses={**UNKNOWN_USER, **NOT_PUBLISHED},
)
async def get_user_segment_history(
    user_id: UserIdPath, session: SessionDep, admin: AdminDep
) -> UserSegmentHistory:
    if not await reads.user_exists(session, user_id):
        raise _unknown_user(user_id)
    with reading_published():
        periods = await reads.membership_periods(session, user_id)
    events = await reads.override_events(session, user_id)
    return UserSegmentHistory(
        user_id=user_id,
        periods=[
            MembershipPeriod(
                segment=period.segment,
                rule=period.rule,
                valid_from=as_utc(period.valid_from),  # type: ignore[arg-type]
                valid_to=as_utc(period.valid_to),
            )
            for period in periods
        ],
        override_events=[
            OverrideEvent(
                action=event.action,
                segment=event.segment,
                reason=event.reason,
                expires_at=as_utc(event.expires_at),
                actor=event.actor,
                at=as_utc(event.at),  # type: ignore[arg-type]
            )
            for event in events
        ],
    )
