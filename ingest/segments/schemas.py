"""Request and response bodies of the admin segment API."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, Field, field_validator

# Segment names are data, not types: the published catalogue (analytics.segment_catalogue)
# lists them, and the routes check names against it.
SEGMENT_NAME_MAX_LENGTH = 200


class SegmentSize(BaseModel):
    segment: str
    users: int
    priority: int = Field(description="The segment's place in the published catalogue (1 first).")


class SegmentsSummary(BaseModel):
    segments: list[SegmentSize]
    total_users: int
    as_of: datetime | None = Field(description="The time the rules were evaluated at.")
    computed_at: datetime | None = Field(description="When the pipeline last published.")
    age_seconds: float | None = Field(description="Seconds since computed_at.")
    is_fresh: bool = Field(description="computed_at is within fresh_within_seconds of now.")
    fresh_within_seconds: int
    live_overrides: int = Field(description="Unexpired overrides in app.segment_overrides.")
    ignored_overrides: int = Field(
        description="Unexpired overrides whose segment the published catalogue does not hold: "
        "the pipeline ignores them (clear them, or set another segment)."
    )


class CatalogueEntryPublic(BaseModel):
    priority: int = Field(description="1 is evaluated first; the first entry that holds wins.")
    name: str
    rule: str = Field(description="What `rule` says in user_segment when this entry decided.")
    when: str | None = Field(description="The SQL condition as declared; null for the fallback.")
    description: str | None
    description_ko: str | None
    is_fallback: bool = Field(description="The last entry: taken when no entry before it holds.")
    users: int = Field(description="Members now (rules and applied overrides).")


class SegmentCatalogue(BaseModel):
    entries: list[CatalogueEntryPublic] = Field(description="In priority order.")
    total_users: int
    as_of: datetime | None = Field(description="The time the rules were evaluated at.")
    computed_at: datetime | None = Field(description="When the pipeline published this catalogue.")


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


class LiveOverride(OverrideInfo):
    applies: bool = Field(
        description="False when the published catalogue no longer holds the segment: the "
        "pipeline ignores the override and the rules decide."
    )
    not_applied_reason: str | None


class RuleCheck(BaseModel):
    priority: int
    segment: str
    rule: str
    when: str | None = Field(description="The SQL condition as declared; null for the fallback.")
    description: str | None
    description_ko: str | None
    is_fallback: bool
    held: bool | None = Field(
        description="Whether the condition held for the player at the published run "
        "(the fallback: whether no entry before it held); null before the player is published."
    )
    decisive: bool = Field(description="This entry gives the player's live segment.")


class UserSegment(BaseModel):
    user_id: int
    segment: str | None = Field(description="Live: an unexpired override wins at once.")
    rule: str | None
    is_override: bool = Field(description="An override that applies decides the segment.")
    override: LiveOverride | None = Field(description="The unexpired override, if any.")
    published_segment: str | None = Field(description="What the last pipeline run published.")
    published_rule: str | None
    rules_segment: str | None = Field(
        description="The segment the rules gave at the last run, before overrides."
    )
    pending: str | None = Field(
        description="Set when the live answer differs from the published one until the next run."
    )
    as_of: datetime | None
    computed_at: datetime | None
    summary: str = Field(description="One sentence: why the player is in the segment.")
    rules: list[RuleCheck] = Field(description="Every catalogue entry, in priority order.")
    features: dict[str, Any] | None = Field(
        description="The published profile the rules read; null before the player is published."
    )


class OverrideRequest(BaseModel):
    segment: str = Field(
        min_length=1,
        max_length=SEGMENT_NAME_MAX_LENGTH,
        description="A segment of the published catalogue (GET /admin/api/segments/catalogue).",
    )
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
