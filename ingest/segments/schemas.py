"""Request and response bodies of the admin segment API."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, Field, field_validator

from ingest.models import SEGMENTS

Segment = Literal["NEW", "DORMANT_SHORT", "DORMANT_LONG", "VIP", "ACTIVE"]
assert set(Segment.__args__) == set(SEGMENTS)  # type: ignore[attr-defined]


class SegmentSize(BaseModel):
    segment: str
    users: int


class SegmentsSummary(BaseModel):
    segments: list[SegmentSize]
    total_users: int
    as_of: datetime | None = Field(description="The time the rules were evaluated at.")
    computed_at: datetime | None = Field(description="When the pipeline last published.")
    age_seconds: float | None = Field(description="Seconds since computed_at.")
    is_fresh: bool = Field(description="computed_at is within fresh_within_seconds of now.")
    fresh_within_seconds: int
    live_overrides: int = Field(description="Unexpired overrides in app.segment_overrides.")


class SegmentSizePoint(BaseModel):
    at: datetime
    sizes: dict[str, int]


class SegmentSizeHistory(BaseModel):
    points: list[SegmentSizePoint] = Field(description="Sizes after each snapshot, oldest first.")


class SegmentMember(BaseModel):
    user_id: int
    rule: str
    last_active_at: datetime | None
    deposit_30d: Decimal | None
    created_at: datetime | None


class SegmentMembersPage(BaseModel):
    segment: str
    items: list[SegmentMember]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null at end.")


class OverrideInfo(BaseModel):
    segment: str
    reason: str
    expires_at: datetime | None
    created_by: str
    created_at: datetime


class UserSegment(BaseModel):
    user_id: int
    segment: str | None = Field(description="Live: an unexpired override wins at once.")
    rule: str | None
    is_override: bool
    override: OverrideInfo | None
    published_segment: str | None = Field(description="What the last pipeline run published.")
    published_rule: str | None
    pending: str | None = Field(
        description="Set when the live answer differs from the published one until the next run."
    )
    as_of: datetime | None
    computed_at: datetime | None
    features: dict[str, Any]
    activity: dict[str, Any] | None


class OverrideRequest(BaseModel):
    segment: Segment
    reason: str = Field(min_length=1, max_length=2000)
    expires_at: datetime | None = None

    @field_validator("reason")
    @classmethod
    def _reason_not_blank(cls, reason: str) -> str:
        if not reason.strip():
            raise ValueError("reason must not be blank: say why the segment is overridden")
        if "\x00" in reason:
            # PostgreSQL text cannot hold NUL; refuse it here rather than fail on insert.
            raise ValueError("reason must not contain NUL (\\u0000) characters")
        return reason.strip()

    @field_validator("expires_at")
    @classmethod
    def _expiry_in_future(cls, expires_at: datetime | None) -> datetime | None:
        if expires_at is None:
            return None
        if expires_at.tzinfo is None:
            raise ValueError("expires_at needs a time zone, e.g. 2030-01-01T00:00:00Z")
        if expires_at <= datetime.now(UTC):
            raise ValueError("expires_at must be in the future")
        return expires_at


class MembershipPeriod(BaseModel):
    segment: str
    rule: str | None
    valid_from: datetime
    valid_to: datetime | None


class OverrideEvent(BaseModel):
    action: Literal["set", "clear"]
    segment: str | None
    reason: str | None
    expires_at: datetime | None
    actor: str
    at: datetime


class UserSegmentHistory(BaseModel):
    user_id: int
    periods: list[MembershipPeriod]
    override_events: list[OverrideEvent]


class SegmentChange(BaseModel):
    change_id: str
    user_id: int
    from_segment: str | None
    to_segment: str
    changed_at: datetime
    as_of: datetime | None


class SegmentChangesPage(BaseModel):
    items: list[SegmentChange]
    next_cursor: str | None = Field(
        description="Pass as `since` to continue; stays put when there is nothing new."
    )
    has_more: bool
