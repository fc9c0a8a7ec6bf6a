"""Helpers of the lake tests: overrides to seed, rows in a form both engines agree on, and
`scripts/segment_users.py` run as a real process on either engine."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, text

from pulse.settings import PROJECT_ROOT


def canonical(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, Decimal):
        normalized = value.normalize()
        return format(normalized, "f")
    return value


def seed_players(engine: Engine, database_url: str, players: int) -> datetime:
    """Demo players with admin overrides, and the lake export starting over (no
    watermarks); returns the moment the overrides were made at (whole seconds, UTC)."""
    from pulse.demo_data import generate

    with engine.begin() as connection:
        connection.execute(text("delete from app.lake_export_watermarks"))
    generate(database_url, players, 20.0, 2.5, 90, 0.42)
    now = datetime.now(UTC).replace(microsecond=0)
    add_overrides(engine, now)
    return now


def add_overrides(engine: Engine, now: datetime) -> None:
    with engine.begin() as connection:
        connection.execute(
            text(
                "insert into app.segment_overrides "
                "(user_id, segment, reason, expires_at, created_by, created_at) values "
                "(1, 'VIP', 'partner account', null, 'ops', :before), "
                "(2, 'DORMANT_LONG', 'it''s a test account', :expired, 'ops', :before), "
                "(3, 'NEW', 'welcome back', :later, 'ops', :before)"
            ),
            {
                "before": now - timedelta(days=3),
                "expired": now - timedelta(days=1),
                "later": now + timedelta(days=5),
            },
        )


def segment_users(
    warehouse: str,
    arguments: list[str],
    tmp_path: Path,
    *,
    expect_success: bool = True,
    dagster_home: Path | None = None,
) -> subprocess.CompletedProcess[str]:
    dagster_home = dagster_home or tmp_path / f"dagster-{warehouse}-{len(list(tmp_path.iterdir()))}"
    dagster_home.mkdir(exist_ok=True)
    completed = subprocess.run(
        [sys.executable, "scripts/segment_users.py", *arguments, "--json"],
        cwd=PROJECT_ROOT,
        env={
            **os.environ,
            "PULSE_WAREHOUSE": warehouse,
            "DAGSTER_HOME": str(dagster_home),
            "PULSE_LAKE_DIR": str(tmp_path / "lake"),
            "PULSE_LAKE_EXPORT_LAG_SECONDS": "0",
        },
        capture_output=True,
        text=True,
        # A guard against a hung process, not a timing check: a Spark refresh on two
        # cores shared with a benchmark has taken close to 900 s.
        timeout=1200,
    )
    if expect_success:
        assert completed.returncode == 0, completed.stderr[-3000:]
    return completed
