"""user_activity built by dbt for real: values, the incremental run, last_charge_at."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import Engine, text

from tests.support.dbt import RunDbt
from tests.support.dbt_data import add_event, add_snapshot, add_user, days, rows_by_user


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def test_user_without_events_gets_zeros_and_nulls(engine: Engine, run_dbt: RunDbt) -> None:
    as_of = _now() - days(1)
    signup = as_of - days(100)
    add_user(engine, 1, signup)
    add_user(engine, 2, signup, last_login_at=as_of - days(3))
    add_event(engine, 2, "roulette_play", as_of - days(2))
    add_event(engine, 2, "roulette_play", as_of - days(2) + timedelta(hours=1))
    add_event(engine, 2, "dice_play", as_of - days(2))
    add_event(engine, 2, "play_duration", as_of - days(1.5), play_duration_seconds=300)
    add_event(engine, 2, "bonus_used", as_of - days(1))
    add_event(engine, 2, "login", as_of - days(0.5))

    run_dbt("build", as_of=as_of)

    activity = rows_by_user(engine, "analytics.user_activity")
    assert set(activity) == {1, 2}
    idle = activity[1]
    assert (idle["roulette_plays"], idle["dice_plays"], idle["lottery_plays"]) == (0, 0, 0)
    assert idle["total_play_duration"] == 0
    assert idle["deposit_30d"] == 0
    assert idle["last_bonus_used_at"] is None
    assert idle["last_login_at"] is None
    assert idle["last_play_at"] is None
    assert idle["last_charge_at"] is None
    assert idle["last_active_at"] == signup

    player = activity[2]
    assert (player["roulette_plays"], player["dice_plays"], player["lottery_plays"]) == (2, 1, 0)
    assert player["total_play_duration"] == 300
    assert player["last_bonus_used_at"] == as_of - days(1)
    # the login event is later than the platform's last_login_at
    assert player["last_login_at"] == as_of - days(0.5)
    assert player["last_play_at"] == as_of - days(1.5)
    assert player["last_active_at"] == as_of - days(0.5)


def _row_versions(engine: Engine) -> dict[int, str]:
    """Each row's creating transaction: a row rewritten by a run gets a new one."""
    with engine.connect() as connection:
        rows = connection.execute(
            text("select user_id, xmin::text as version from analytics.user_activity")
        )
        return {user_id: version for user_id, version in rows}


def test_incremental_run_touches_only_changed_users_and_equals_full_refresh(
    engine: Engine, run_dbt: RunDbt
) -> None:
    first_as_of = _now() - days(3)
    second_as_of = first_as_of + days(1)
    for user_id in (1, 2, 3, 4):
        add_user(engine, user_id, first_as_of - days(60))
    add_event(engine, 1, "dice_play", first_as_of - days(2))
    # user 2's only charge leaves the 30-day window between the two runs
    add_snapshot(engine, 2, 1000, first_as_of - days(29.5))
    add_event(engine, 3, "lottery_play", first_as_of - days(5))
    add_snapshot(engine, 4, 200, first_as_of - days(3))

    run_dbt("build", as_of=first_as_of)
    before = rows_by_user(engine, "analytics.user_activity")
    versions_before = _row_versions(engine)
    assert before[2]["deposit_30d"] == 1000

    add_event(engine, 1, "dice_play", first_as_of + days(0.5), received_now=True)
    add_snapshot(engine, 4, 700, first_as_of + days(0.2), received_now=True)
    add_user(engine, 5, first_as_of + days(0.1))  # a user the first run never saw
    # loaded in bulk with an updated_at older than the first run: found because the
    # table then has fewer rows than app.users
    add_user(engine, 6, first_as_of - days(40))

    run_dbt("build", as_of=second_as_of)
    incremental = rows_by_user(engine, "analytics.user_activity")
    versions_after = _row_versions(engine)

    rewritten = {user for user, old in versions_before.items() if versions_after[user] != old}
    assert rewritten == {1, 2, 4}
    assert set(incremental) == {1, 2, 3, 4, 5, 6}
    assert incremental[6]["last_active_at"] == first_as_of - days(40)
    assert incremental[3] == before[3]
    assert incremental[1]["dice_plays"] == 2
    assert incremental[2]["deposit_30d"] == 0
    assert incremental[4]["deposit_30d"] == 700
    assert incremental[4]["last_charge_at"] == first_as_of + days(0.2)

    # the rows the run rewrote carry its start; the rest keep the first run's
    evaluated = {row["evaluated_at"] for user, row in incremental.items() if user in rewritten}
    assert len(evaluated) == 1 and evaluated != {before[3]["evaluated_at"]}

    run_dbt("build", "--full-refresh", as_of=second_as_of)
    assert _without_run(rows_by_user(engine, "analytics.user_activity")) == _without_run(
        incremental
    )


def test_last_charge_at_follows_increments_through_resets_late_and_repeated_snapshots(
    engine: Engine, run_dbt: RunDbt
) -> None:
    as_of = _now() - timedelta(hours=1)
    start = as_of - days(10)
    for user_id in (1, 2, 3):
        add_user(engine, user_id, start - days(30))
    # user 1: charge, charge, reset to 0, recharge from 0, the same total again
    for offset, amount in ((0, 100), (1, 300), (2, 0), (3, 50), (4, 50)):
        add_snapshot(engine, 1, amount, start + days(offset))
    # user 2: a snapshot dated between two others arrives after the first run
    add_snapshot(engine, 2, 100, start)
    add_snapshot(engine, 2, 500, start + days(2))
    # user 3: a correction down is never a charge
    add_snapshot(engine, 3, 200, start)
    add_snapshot(engine, 3, 0, start + days(1))

    run_dbt("build", as_of=as_of)
    activity = rows_by_user(engine, "analytics.user_activity")
    assert activity[1]["last_charge_at"] == start + days(3)
    assert activity[1]["deposit_30d"] == Decimal(100 + 200 + 50)
    assert activity[2]["last_charge_at"] == start + days(2)
    assert activity[2]["deposit_30d"] == Decimal(500)
    assert activity[3]["last_charge_at"] == start
    assert activity[3]["deposit_30d"] == Decimal(200)

    add_snapshot(engine, 2, 800, start + days(1), received_now=True)
    run_dbt("build", as_of=as_of)
    late = rows_by_user(engine, "analytics.user_activity")[2]
    # ordered by updated_at: 100, 800, 500 -> increments 100, 700, 0
    assert late["last_charge_at"] == start + days(1)
    assert late["deposit_30d"] == Decimal(800)


@pytest.fixture
def event_log_without_primary_key(engine: Engine) -> Iterator[None]:
    """The event log as an engine without unique keys would hold it: replays possible."""
    with engine.begin() as connection:
        connection.execute(
            text("alter table app.activity_events drop constraint pk_activity_events")
        )
    yield
    with engine.begin() as connection:
        connection.execute(text("truncate app.activity_events"))
        connection.execute(
            text(
                "alter table app.activity_events "
                "add constraint pk_activity_events primary key (event_id)"
            )
        )


def test_replayed_event_counts_once_when_the_table_has_no_unique_key(
    engine: Engine, run_dbt: RunDbt, event_log_without_primary_key: None
) -> None:
    as_of = _now() - days(1)
    add_user(engine, 1, as_of - days(30))
    add_event(engine, 1, "roulette_play", as_of - days(2))
    with engine.begin() as connection:
        # the same event stored twice, the copy a minute later
        connection.execute(
            text(
                "insert into app.activity_events "
                "(event_id, user_id, event_type, occurred_at, received_at, play_duration_seconds) "
                "select event_id, user_id, event_type, occurred_at, "
                "received_at + interval '1 minute', play_duration_seconds "
                "from app.activity_events"
            )
        )
        assert connection.scalar(text("select count(*) from app.activity_events")) == 2

    outcome = run_dbt("build", as_of=as_of)

    assert outcome.statuses["source_unique_app_activity_events_event_id"] == "warn"
    assert rows_by_user(engine, "analytics.user_activity")[1]["roulette_plays"] == 1


def _without_run(rows: dict[int, dict]) -> dict[int, dict]:
    """The rows without evaluated_at, which says which run wrote them, not what they hold."""
    return {
        user: {column: value for column, value in row.items() if column != "evaluated_at"}
        for user, row in rows.items()
    }


def test_a_new_deposit_window_is_honoured_by_the_next_incremental_run(
    engine: Engine, run_dbt: RunDbt
) -> None:
    as_of = _now() - days(1)
    add_user(engine, 1, as_of - days(60))
    add_snapshot(engine, 1, 500, as_of - days(20))  # inside 30 days, outside 10
    add_user(engine, 2, as_of - days(60))
    add_snapshot(engine, 2, 700, as_of - days(5))  # inside both
    run_dbt("build", as_of=as_of)
    assert rows_by_user(engine, "analytics.user_activity")[1]["deposit_30d"] == 500
    versions_before = _row_versions(engine)

    shorter = {"pulse__vip_window_days": 10}
    run_dbt("build", "--exclude-resource-type", "unit_test", as_of=as_of, vars=shorter)
    incremental = rows_by_user(engine, "analytics.user_activity")
    assert (incremental[1]["deposit_30d"], incremental[2]["deposit_30d"]) == (0, 700)
    assert {row["deposit_window_days"] for row in incremental.values()} == {10}
    assert all(_row_versions(engine)[user] != versions_before[user] for user in (1, 2))
    assert rows_by_user(engine, "analytics.user_segment")[1]["deposit_30d"] == 0

    run_dbt(
        "build", "--exclude-resource-type", "unit_test", "--full-refresh", as_of=as_of, vars=shorter
    )
    assert _without_run(rows_by_user(engine, "analytics.user_activity")) == _without_run(
        incremental
    )
