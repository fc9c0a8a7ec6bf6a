"""A run evaluates every player and publishes only the rows that moved
(user_segment_updates, written into analytics.user_segment_members by the publish gate);
readers see every player through the view analytics.user_segment."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, text

from tests.support.dbt import RunDbt
from tests.support.dbt_data import add_event, add_user, days, rows_by_user

# the columns readers read besides the publication's as_of and computed_at
ROW_COLUMNS = ("segment", "rule", "matched_segments", "roulette_plays", "last_active_at")


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def _updated(engine: Engine) -> dict[int, bool] | None:
    """The run's user_segment_updates: user_id -> is_removed; None when the publish moved
    the table into the place of the published rows (every player was an update)."""
    with engine.connect() as connection:
        if (
            connection.scalar(
                text("select to_regclass('analytics_candidate.user_segment_updates')")
            )
            is None
        ):
            return None
        rows = connection.execute(
            text("select user_id, is_removed from analytics_candidate.user_segment_updates")
        ).all()
    return {row.user_id: row.is_removed for row in rows}


def _row_versions(engine: Engine) -> dict[int, Any]:
    """Each published row's physical version (xmin): it changes only when the row is written."""
    with engine.connect() as connection:
        rows = connection.execute(
            text("select user_id, xmin::text as version from analytics.user_segment_members")
        ).all()
    return {row.user_id: row.version for row in rows}


def _published(engine: Engine) -> dict[int, tuple[Any, ...]]:
    return {
        user_id: tuple(row[column] for column in ROW_COLUMNS)
        for user_id, row in rows_by_user(engine, "analytics.user_segment").items()
    }


def _history(engine: Engine) -> list[tuple[Any, ...]]:
    with engine.connect() as connection:
        return [
            tuple(row)
            for row in connection.execute(
                text(
                    "select user_id, segment, rule, dbt_valid_to is null "
                    "from snapshots.user_segment_history order by user_id, dbt_valid_from"
                )
            )
        ]


def test_a_run_writes_only_the_rows_that_moved(engine: Engine, run_dbt: RunDbt) -> None:
    start = _now() - days(3)
    for user_id in (1, 2, 3):
        add_user(engine, user_id, start - days(100))
        add_event(engine, user_id, "dice_play", start - timedelta(hours=1))
    add_user(engine, 4, start - days(100))  # idle since signup: DORMANT_LONG

    run_dbt("build", as_of=start)
    # nothing was published: every player was an update, and the updates became the rows
    assert _updated(engine) is None
    assert set(_published(engine)) == {1, 2, 3, 4}
    versions = _row_versions(engine)

    # a play that changes player 3's features but not its segment
    add_event(engine, 3, "roulette_play", start + timedelta(minutes=30))
    later = start + timedelta(hours=1)
    run_dbt("build", as_of=later)
    assert _updated(engine) == {3: False}
    after = _row_versions(engine)
    assert {user_id for user_id in versions if after[user_id] != versions[user_id]} == {3}
    published = rows_by_user(engine, "analytics.user_segment")
    assert published[3]["roulette_plays"] == 1 and published[3]["segment"] == "ACTIVE"
    # every reader's row carries the run's as_of, written or not
    assert {row["as_of"] for row in published.values()} == {later}
    assert _published(engine) == {
        user_id: tuple(row[column] for column in ROW_COLUMNS)
        for user_id, row in rows_by_user(engine, "analytics_candidate.user_segment").items()
    }


def test_a_player_without_a_profile_leaves_the_published_rows(
    engine: Engine, run_dbt: RunDbt
) -> None:
    start = _now() - days(3)
    add_user(engine, 1, start - days(100))
    add_user(engine, 2, start - days(100))
    run_dbt("build", as_of=start)
    assert set(_published(engine)) == {1, 2}

    with engine.begin() as connection:
        connection.execute(text("delete from app.users where id = 2"))
    run_dbt("build", "--full-refresh", as_of=start + timedelta(hours=1))
    assert _updated(engine) == {2: True}
    assert set(_published(engine)) == {1}
    # the history keeps the removed player's last version
    assert (2, "DORMANT_LONG", "dormant_long", True) in _history(engine)


def test_the_run_after_a_replay_compares_every_player_with_the_history(
    engine: Engine, run_dbt: RunDbt, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = _now() - timedelta(hours=1)
    add_user(engine, 1, now - days(100))
    add_event(engine, 1, "dice_play", now - days(10))  # DORMANT_SHORT now, ACTIVE 5 days ago
    add_user(engine, 2, now - days(100))
    add_event(engine, 2, "dice_play", now - timedelta(hours=1))  # ACTIVE throughout
    run_dbt("build", as_of=now)
    history = _history(engine)
    assert [row[:2] for row in history] == [(1, "DORMANT_SHORT"), (2, "ACTIVE")]

    # a replay publishes a past moment and leaves the history alone
    monkeypatch.setenv("PULSE_REPLAY", "1")
    run_dbt("build", as_of=now - days(5))
    monkeypatch.delenv("PULSE_REPLAY")
    assert _published(engine)[1][0] == "ACTIVE"
    assert _history(engine) == history

    # back to now: every player is compared again; none moved against the history
    run_dbt("build", as_of=now + timedelta(minutes=1))
    assert set(_updated(engine)) == {1, 2}
    assert _published(engine)[1][0] == "DORMANT_SHORT"
    assert _history(engine) == history


def test_published_rows_with_other_columns_are_made_anew(engine: Engine, run_dbt: RunDbt) -> None:
    start = _now() - days(3)
    add_user(engine, 1, start - days(100))
    add_user(engine, 2, start - days(100))
    run_dbt("build", as_of=start)
    expected = _published(engine)
    # rows written by a release with another set of columns
    with engine.begin() as connection:
        connection.execute(
            text("alter table analytics.user_segment_members add column retired text")
        )

    run_dbt("build", as_of=start + timedelta(hours=1))
    assert _updated(engine) is None  # every player again, moved into place
    assert _published(engine) == expected
    with engine.connect() as connection:
        columns = connection.execute(
            text(
                "select column_name from information_schema.columns "
                "where table_schema = 'analytics' and table_name = 'user_segment_members'"
            )
        ).scalars()
        assert "retired" not in set(columns)


def test_a_player_without_a_profile_leaves_the_published_rows_after_a_replay(
    engine: Engine, run_dbt: RunDbt, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = _now() - timedelta(hours=1)
    add_user(engine, 1, now - days(100))
    add_user(engine, 2, now - days(100))
    run_dbt("build", as_of=now)
    monkeypatch.setenv("PULSE_REPLAY", "1")
    run_dbt("build", as_of=now - days(5))
    monkeypatch.delenv("PULSE_REPLAY")
    assert set(_published(engine)) == {1, 2}

    with engine.begin() as connection:
        connection.execute(text("delete from app.users where id = 2"))
    run_dbt("build", "--full-refresh", as_of=now + timedelta(minutes=1))
    # every player is an update after a replay, and the removed one is one too
    assert _updated(engine) == {1: False, 2: True}
    assert set(_published(engine)) == {1}
