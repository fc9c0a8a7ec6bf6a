"""Freshness checks on what consumers read, evaluated against the database itself.

They read the tables rather than Dagster's event log, so they tell the truth
whichever way a table was last written (schedule, script, backfill):
- `user_segment_is_fresh`: the published `analytics.user_segment` was computed
  within PULSE_SEGMENT_MAX_AGE_MINUTES (default 120), as its publication
  (`analytics.segment_publication`) says;
- `deposit_feed_is_fresh`: `app.ranking_snapshots` received a snapshot within
  PULSE_DEPOSIT_FEED_MAX_SILENCE_MINUTES (default 360).
The `freshness_checks` job runs both (and observes the raw tables) on its own schedule.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from dagster import (
    AssetCheckResult,
    AssetChecksDefinition,
    AssetCheckSeverity,
    AssetKey,
    MetadataValue,
    asset_check,
)
from sqlalchemy import text

from orchestration.config import OrchestrationSettings
from orchestration.resources import PulseDatabase

PUBLISHED_SCHEMA = "analytics"
USER_SEGMENT_KEY = AssetKey(["analytics", "user_segment"])
DEPOSIT_FEED_KEY = AssetKey(["app", "ranking_snapshots"])


def freshness_result(
    latest: datetime | None, max_age: timedelta, now: datetime, what: str
) -> AssetCheckResult:
    """Pass when `latest` is at most `max_age` before `now`."""
    limit_minutes = int(max_age.total_seconds() // 60)
    if latest is None:
        return AssetCheckResult(
            passed=False,
            severity=AssetCheckSeverity.ERROR,
            description=f"{what}: nothing yet (limit {limit_minutes} min)",
            metadata={"limit_minutes": limit_minutes},
        )
    age = now - latest
    age_minutes = round(age.total_seconds() / 60, 1)
    passed = age <= max_age
    verdict = "fresh" if passed else "stale"
    return AssetCheckResult(
        passed=passed,
        severity=AssetCheckSeverity.ERROR,
        description=f"{what}: {verdict}, {age_minutes} min old (limit {limit_minutes} min)",
        metadata={
            "latest": MetadataValue.timestamp(latest),
            "age_minutes": age_minutes,
            "limit_minutes": limit_minutes,
        },
    )


def _latest(database: PulseDatabase, relation: str, column: str) -> datetime | None:
    with database.connect() as connection:
        if connection.execute(text("select to_regclass(:name)"), {"name": relation}).scalar():
            latest = connection.execute(text(f"select max({column}) from {relation}")).scalar()
            return latest if isinstance(latest, datetime) else None
    return None


def build_freshness_checks(settings: OrchestrationSettings) -> list[AssetChecksDefinition]:
    segment_max_age = timedelta(minutes=settings.pulse_segment_max_age_minutes)
    feed_max_silence = timedelta(minutes=settings.pulse_deposit_feed_max_silence_minutes)

    @asset_check(
        asset=USER_SEGMENT_KEY,
        name="user_segment_is_fresh",
        description="The published user_segment was computed recently enough.",
    )
    def user_segment_is_fresh(database: PulseDatabase) -> AssetCheckResult:
        latest = _latest(database, f"{PUBLISHED_SCHEMA}.segment_publication", "computed_at")
        return freshness_result(latest, segment_max_age, datetime.now(UTC), "user_segment")

    @asset_check(
        asset=DEPOSIT_FEED_KEY,
        name="deposit_feed_is_fresh",
        description="The deposit feed delivered a new snapshot recently enough.",
    )
    def deposit_feed_is_fresh(database: PulseDatabase) -> AssetCheckResult:
        latest = _latest(database, "app.ranking_snapshots", "received_at")
        return freshness_result(latest, feed_max_silence, datetime.now(UTC), "deposit feed")

    return [user_segment_is_fresh, deposit_feed_is_fresh]
