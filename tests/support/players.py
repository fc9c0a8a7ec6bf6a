"""Small helpers shared by the ingest API tests."""

from __future__ import annotations

import itertools
import os
from datetime import UTC, datetime, timedelta

# Each test takes fresh user ids, so tests need no truncation and cannot see each other.
_user_ids = itertools.count(100_000 + (os.getpid() % 1000) * 10_000)


def fresh_user_id() -> int:
    return next(_user_ids)


def iso(moment: datetime) -> str:
    return moment.isoformat()


def ago(**delta: float) -> datetime:
    return datetime.now(UTC) - timedelta(**delta)
