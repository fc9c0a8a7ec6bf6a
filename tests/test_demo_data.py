"""The demo data generator fills every raw table with consistent, realistic rows."""

from __future__ import annotations

import subprocess
import sys

from sqlalchemy import Engine, text

from pulse.settings import PROJECT_ROOT


def _run_generator(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "scripts/generate_demo_data.py", *args],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        check=True,
    )


def test_generator_fills_tables_consistently(engine: Engine, clean_tables: None) -> None:
    _run_generator("--users", "300", "--events-per-user", "10")
    with engine.connect() as connection:
        users = connection.scalar(text("select count(*) from app.users"))
        events = connection.scalar(text("select count(*) from app.activity_events"))
        types = set(connection.scalars(text("select distinct event_type from app.activity_events")))
        durations_ok = connection.scalar(
            text(
                "select bool_and(play_duration_seconds is not null) "
                "from app.activity_events where event_type = 'play_duration'"
            )
        )
        depositors = connection.scalar(
            text("select count(distinct user_id) from app.ranking_snapshots")
        )
        current_matches_latest = connection.scalar(
            text(
                """
                select count(*) from app.external_ranking_data as current
                where current.updated_at <> (
                    select max(updated_at) from app.ranking_snapshots as snapshots
                    where snapshots.user_id = current.user_id)
                """
            )
        )
        events_before_signup = connection.scalar(
            text(
                "select count(*) from app.activity_events as events join app.users as users "
                "on users.id = events.user_id where events.occurred_at < users.created_at"
            )
        )
    assert users == 300
    assert 1500 < events < 6000  # mean 10 per player, heavy-tailed
    assert types == {
        "roulette_play",
        "dice_play",
        "lottery_play",
        "bonus_used",
        "play_duration",
        "login",
    }
    assert durations_ok is True
    assert 100 < depositors < 250  # about three players in five deposit
    assert current_matches_latest == 0
    assert events_before_signup == 0


def test_generator_appends_new_players_and_if_empty_adds_nothing(
    engine: Engine, clean_tables: None
) -> None:
    _run_generator("--users", "50")
    _run_generator("--users", "25")
    skipped = _run_generator("--users", "25", "--if-empty")
    with engine.connect() as connection:
        ids = connection.execute(text("select min(id), max(id), count(*) from app.users")).one()
    assert tuple(ids) == (1, 75, 75)
    assert "nothing added" in skipped.stdout
