"""Seeding players in known states and publishing their segments with the real dbt build."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, text

from pulse.settings import PROJECT_ROOT
from tests.support.tables import drop_dbt_schemas, truncate_app_tables


@dataclass(frozen=True)
class Cohort:
    """The seeded players, each in the state one shipped rule of `pulse__segments` describes.

    Tests read the segment a player got from what was published, never from these names.
    """

    vip: int = 101
    dormant_long: int = 102
    dormant_short: int = 103
    new: int = 104
    active: int = 105
    # Extra players of the fallback segment, for pagination and export.
    active_ids: tuple[int, ...] = tuple(range(200, 225))


COHORT = Cohort()


def drop_published(engine: Engine) -> None:
    """Nothing published: the schemas dbt builds are gone."""
    drop_dbt_schemas(engine)


def reset_app_tables(engine: Engine) -> None:
    truncate_app_tables(engine)


def _user(connection, user_id: int, created_at: datetime) -> None:  # type: ignore[no-untyped-def]
    connection.execute(
        text("insert into app.users (id, created_at, updated_at) values (:id, :at, :at)"),
        {"id": user_id, "at": created_at},
    )


def _event(connection, user_id: int, event_type: str, occurred_at: datetime) -> None:  # type: ignore[no-untyped-def]
    connection.execute(
        text(
            "insert into app.activity_events (event_id, user_id, event_type, occurred_at, "
            "play_duration_seconds) values (:id, :user_id, :type, :at, :duration)"
        ),
        {
            "id": uuid.uuid4(),
            "user_id": user_id,
            "type": event_type,
            "at": occurred_at,
            "duration": 120 if event_type == "play_duration" else None,
        },
    )


def _deposit(connection, user_id: int, amount: int, updated_at: datetime) -> None:  # type: ignore[no-untyped-def]
    connection.execute(
        text(
            "insert into app.ranking_snapshots (user_id, deposit_amount, updated_at) "
            "values (:user_id, :amount, :at)"
        ),
        {"user_id": user_id, "amount": amount, "at": updated_at},
    )
    connection.execute(
        text(
            "insert into app.external_ranking_data (user_id, deposit_amount, updated_at) "
            "values (:user_id, :amount, :at) on conflict (user_id) do update "
            "set deposit_amount = excluded.deposit_amount, updated_at = excluded.updated_at"
        ),
        {"user_id": user_id, "amount": amount, "at": updated_at},
    )


def seed_cohort(engine: Engine, as_of: datetime) -> None:
    """One player per rule, plus 25 ordinary active players, relative to `as_of`."""
    day = timedelta(days=1)
    with engine.begin() as connection:
        _user(connection, COHORT.vip, as_of - 60 * day)
        _event(connection, COHORT.vip, "roulette_play", as_of - 1 * day)
        _event(connection, COHORT.vip, "roulette_play", as_of - 2 * day)
        _event(connection, COHORT.vip, "dice_play", as_of - 2 * day)
        _event(connection, COHORT.vip, "play_duration", as_of - 2 * day)
        _deposit(connection, COHORT.vip, 2_000_000, as_of - 5 * day)

        _user(connection, COHORT.dormant_long, as_of - 90 * day)
        _event(connection, COHORT.dormant_long, "lottery_play", as_of - 45 * day)

        _user(connection, COHORT.dormant_short, as_of - 60 * day)
        _event(connection, COHORT.dormant_short, "dice_play", as_of - 10 * day)

        _user(connection, COHORT.new, as_of - 2 * day)
        _event(connection, COHORT.new, "bonus_used", as_of - timedelta(hours=3))

        _user(connection, COHORT.active, as_of - 60 * day)
        _event(connection, COHORT.active, "roulette_play", as_of - 1 * day)
        _deposit(connection, COHORT.active, 500, as_of - 3 * day)

        for user_id in COHORT.active_ids:
            _user(connection, user_id, as_of - 40 * day)
            _event(connection, user_id, "login", as_of - 2 * day)


def published_catalogue(engine: Engine) -> list[dict[str, Any]]:
    """`analytics.segment_catalogue` in priority order, one dict per entry."""
    with engine.connect() as connection:
        return [
            dict(row._mapping)
            for row in connection.execute(
                text("select * from analytics.segment_catalogue order by priority")
            )
        ]


def published_segment_of(engine: Engine, user_id: int) -> tuple[str, str, str]:
    """(segment, rule, matched_segments) the last run published for the player."""
    with engine.connect() as connection:
        row = connection.execute(
            text(
                "select segment, rule, matched_segments from analytics.user_segment "
                "where user_id = :user_id"
            ),
            {"user_id": user_id},
        ).one()
    return row.segment, row.rule, row.matched_segments


def publish(as_of: datetime | None = None, segments: list[dict[str, Any]] | None = None) -> None:
    """Runs the real dbt build (models, snapshot, data tests) on the test database.

    `segments` replaces the declared `pulse__segments` for this run.
    """
    arguments = ["build", "--exclude-resource-type", "unit_test"]
    dbt_vars: dict[str, Any] = {}
    if as_of is not None:
        dbt_vars["pulse__as_of"] = as_of.astimezone(UTC).isoformat()
    if segments is not None:
        dbt_vars["pulse__segments"] = segments
    if dbt_vars:
        arguments += ["--vars", json.dumps(dbt_vars)]
    with tempfile.TemporaryDirectory(prefix="pulse-dbt-") as scratch:
        arguments += ["--target-path", f"{scratch}/target", "--log-path", f"{scratch}/logs"]
        completed = subprocess.run(
            [sys.executable, str(PROJECT_ROOT / "scripts" / "run_dbt.py"), *arguments],
            env=os.environ.copy(),
            capture_output=True,
            text=True,
            check=False,
        )
    if completed.returncode != 0:
        raise AssertionError(f"dbt build failed:\n{completed.stdout[-4000:]}{completed.stderr}")


def recent_moment() -> datetime:
    """A reference time just before now (dbt refuses an as_of after the run's start)."""
    return datetime.now(UTC) - timedelta(seconds=5)
