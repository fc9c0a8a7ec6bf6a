"""Timestamps read from dbt relations, made time-zone aware.

dbt snapshots write `timestamp without time zone` columns in the database's time
zone (UTC on Pulse's servers); the API always answers with explicit UTC offsets.
"""

from __future__ import annotations

from datetime import UTC, datetime


def as_utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)
