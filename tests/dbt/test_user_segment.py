"""user_segment, its history and change feed, built by dbt for real."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, text

from tests.support.dbt import RunDbt
from tests.support.dbt_data import (
    add_event,
    add_override,
    add_snapshot,
    add_user,
    days,
    rows_by_user,
)
from tests.support.profile import dbt_profile_columns
from tests.support.segments import declared_segments, segments_vars
from tests.support.tables import event_type_check_dropped

SEGMENT_FEATURES = ("segment", "rule", "last_active_at", "deposit_30d", "created_at", "as_of")
# The profile columns user_activity computes (signup and row times come from app.users).
ACTIVITY_FEATURES = tuple(
    column
    for column in dbt_profile_columns()
    if column not in ("user_id", "created_at", "updated_at")
)


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def _pick(rows: dict[int, dict], columns: tuple[str, ...]) -> dict[int, tuple]:
    return {user_id: tuple(row[column] for column in columns) for user_id, row in rows.items()}


def test_past_as_of_reproduces_that_moment(engine: Engine, run_dbt: RunDbt) -> None:
    moment = _now() - days(20)
    add_user(engine, 1, moment - days(40))
    add_event(engine, 1, "roulette_play", moment - days(1))
    add_user(engine, 2, moment - days(3))
    add_user(engine, 3, moment - days(40))
    add_snapshot(engine, 3, 2_000_000, moment - days(2))

    run_dbt("build", as_of=moment)
    segments_then = rows_by_user(engine, "analytics.user_segment")
    activity_then = rows_by_user(engine, "analytics.user_activity")
    assert _pick(segments_then, ("segment", "rule")) == {
        1: ("ACTIVE", "active"),
        2: ("NEW", "new"),
        3: ("VIP", "vip"),
    }

    # life goes on after the moment
    add_event(engine, 1, "dice_play", moment + days(10))
    add_event(engine, 2, "login", moment + days(15))
    add_snapshot(engine, 3, 0, moment + days(5))
    add_snapshot(engine, 3, 10, moment + days(6))
    run_dbt("build")
    segments_now = rows_by_user(engine, "analytics.user_segment")
    assert _pick(segments_now, ("segment",)) != _pick(segments_then, ("segment",))

    # an incremental run back at the moment sees exactly what was there then
    run_dbt("build", as_of=moment)
    assert _pick(rows_by_user(engine, "analytics.user_segment"), SEGMENT_FEATURES) == _pick(
        segments_then, SEGMENT_FEATURES
    )
    assert _pick(rows_by_user(engine, "analytics.user_activity"), ACTIVITY_FEATURES) == _pick(
        activity_then, ACTIVITY_FEATURES
    )


def test_as_of_from_the_environment_keeps_dbts_partial_parse_and_the_var_wins(
    engine: Engine, run_dbt: RunDbt
) -> None:
    moment = _now() - days(20)
    later = moment + days(8)
    add_user(engine, 1, moment - days(3))  # new at the moment, idle 11 days later

    run_dbt("build", as_of=moment)
    assert _segment_and_as_of(engine) == ("NEW", moment)

    # PULSE_AS_OF (what the orchestration sets) moves as_of without a re-parse
    second = run_dbt("build", as_of=later)
    assert "PartialParsingSkipParsing" in second.events
    assert "UnableToPartialParse" not in second.events
    assert _segment_and_as_of(engine) == ("DORMANT_SHORT", later)

    # the dbt var, for a run by hand, wins over the environment
    run_dbt("build", as_of=later, vars={"pulse__as_of": moment.isoformat()})
    assert _segment_and_as_of(engine) == ("NEW", moment)


def _segment_and_as_of(engine: Engine) -> tuple[str, datetime]:
    with engine.connect() as connection:
        row = connection.execute(text("select segment, as_of from analytics.user_segment")).one()
    return row.segment, row.as_of


def test_override_wins_until_it_expires(engine: Engine, run_dbt: RunDbt) -> None:
    expires_at = _now() - days(2)
    add_user(engine, 1, expires_at - days(200))  # idle for months: dormant_long by rule
    add_override(engine, 1, "ACTIVE", created_at=expires_at - days(10), expires_at=expires_at)

    run_dbt("build", as_of=expires_at - timedelta(seconds=1))
    before = rows_by_user(engine, "analytics.user_segment")[1]
    assert (before["segment"], before["rule"]) == ("ACTIVE", "override")
    assert before["override_reason"] == "campaign test"
    assert before["override_expires_at"] == expires_at

    run_dbt("build", as_of=expires_at)
    after = rows_by_user(engine, "analytics.user_segment")[1]
    assert (after["segment"], after["rule"]) == ("DORMANT_LONG", "dormant_long")
    assert after["override_reason"] is None
    assert after["override_expires_at"] is None


def test_transition_is_recorded_in_history_and_change_feed(engine: Engine, run_dbt: RunDbt) -> None:
    first_as_of = _now() - days(20)
    second_as_of = first_as_of + days(10)
    add_user(engine, 1, first_as_of - days(1))  # new, then idle for 11 days
    add_user(engine, 2, first_as_of - days(100))
    add_event(engine, 2, "dice_play", first_as_of - timedelta(hours=1))
    add_event(engine, 2, "dice_play", second_as_of - timedelta(hours=1))

    run_dbt("build", as_of=first_as_of)
    run_dbt("build", as_of=second_as_of)

    with engine.connect() as connection:
        history = connection.execute(
            text(
                "select user_id, segment, rule, dbt_valid_from, dbt_valid_to "
                "from snapshots.user_segment_history order by user_id, dbt_valid_from"
            )
        ).all()
        changes = connection.execute(
            text(
                "select change_id, user_id, from_segment, to_segment, changed_at, as_of "
                "from analytics.user_segment_changes order by changed_at, change_id"
            )
        ).all()
        second_computed_at = connection.scalar(
            text("select max(computed_at) from analytics.user_segment")
        )

    user_1_history = [row for row in history if row.user_id == 1]
    assert [(row.segment, row.rule) for row in user_1_history] == [
        ("NEW", "new"),
        ("DORMANT_SHORT", "dormant_short"),
    ]
    assert user_1_history[0].dbt_valid_to == user_1_history[1].dbt_valid_from
    assert user_1_history[1].dbt_valid_from == second_computed_at
    assert user_1_history[1].dbt_valid_to is None
    assert [(row.segment, row.dbt_valid_to) for row in history if row.user_id == 2] == [
        ("ACTIVE", None)
    ]

    assert {(row.user_id, row.from_segment, row.to_segment) for row in changes[:2]} == {
        (1, None, "NEW"),
        (2, None, "ACTIVE"),
    }
    transition = changes[-1]
    assert (transition.user_id, transition.from_segment, transition.to_segment) == (
        1,
        "NEW",
        "DORMANT_SHORT",
    )
    assert transition.changed_at == second_computed_at
    assert transition.as_of == second_as_of
    assert len({row.change_id for row in changes}) == len(changes) == 3

    # a run that changes nothing adds nothing to the feed
    run_dbt("build", as_of=second_as_of + timedelta(minutes=1))
    with engine.connect() as connection:
        assert connection.scalar(text("select count(*) from analytics.user_segment_changes")) == 3


def test_dry_run_prefix_leaves_published_schemas_alone(engine: Engine, run_dbt: RunDbt) -> None:
    add_user(engine, 1, _now() - days(1))
    run_dbt("build", vars={"pulse__schema_prefix": "dryrun_"})
    with engine.connect() as connection:
        built = set(
            connection.scalars(
                text(
                    "select table_schema || '.' || table_name from information_schema.tables "
                    "where table_schema in "
                    "('analytics', 'dryrun_analytics', 'dryrun_analytics_candidate', 'snapshots', "
                    "'dryrun_snapshots')"
                )
            )
        )
    assert {
        "dryrun_analytics.user_activity",
        "dryrun_analytics_candidate.user_segment",
        "dryrun_analytics_candidate.segment_catalogue",
        "dryrun_analytics_candidate.user_segment_updates",
    } <= built
    # a dry run's candidates are never published, not even into the dryrun_ schemas
    assert "dryrun_analytics.user_segment" not in built
    assert not any("snapshots." in name for name in built)
    assert not any(name.startswith("analytics.") for name in built)


def test_as_of_after_the_run_start_is_refused(run_dbt: RunDbt) -> None:
    outcome = run_dbt("build", as_of=_now() + days(1), expect_success=False)
    assert not outcome.success


@pytest.fixture
def event_of_unknown_type(engine: Engine) -> Iterator[None]:
    """An event type the models do not know, as a broken ingest release could write."""
    with event_type_check_dropped(engine, "slot_play"):
        add_user(engine, 1, _now() - days(10))
        add_event(engine, 1, "slot_play", _now() - days(1), received_now=True)
        yield


def test_failing_upstream_test_keeps_user_segment_from_being_published(
    engine: Engine, run_dbt: RunDbt, event_of_unknown_type: None
) -> None:
    outcome = run_dbt("build", expect_success=False)
    assert not outcome.success
    failing_test = next(
        name for name in outcome.statuses if name.startswith("source_accepted_values_app_")
    )
    assert outcome.statuses[failing_test] == "fail"
    assert outcome.statuses["user_segment"] == "skipped"
    assert outcome.statuses["user_segment_updates"] == "skipped"
    with engine.connect() as connection:
        assert connection.scalar(text("select to_regclass('analytics.user_segment')")) is None


def _published(engine: Engine, relation: str = "analytics.user_segment") -> dict[int, tuple]:
    """Every published column but computed_at (when the run started, not what it found)."""
    rows = rows_by_user(engine, relation)
    columns = tuple(sorted({column for row in rows.values() for column in row} - {"computed_at"}))
    return _pick(rows, columns)


def _full_evaluation(
    engine: Engine, run_dbt: RunDbt, as_of: datetime, **vars: object
) -> dict[int, tuple]:
    """user_segment as a full build at as_of gives it, built beside the published schemas."""
    run_dbt(
        "build",
        # the unit tests check the shipped declaration, which some runs here replace
        "--exclude-resource-type",
        "unit_test",
        "--full-refresh",
        "--select",
        "+user_segment",
        "--indirect-selection",
        "cautious",
        as_of=as_of,
        vars={"pulse__schema_prefix": "dryrun_", **vars},
    )
    return _published(engine, "dryrun_analytics_candidate.user_segment")


def _incremental_run(
    engine: Engine, run_dbt: RunDbt, as_of: datetime, **vars: object
) -> tuple[dict[int, tuple], set[int]]:
    """The published segments after an incremental build at as_of, and the players whose
    user_activity row it rewrote."""
    run_dbt("build", "--exclude-resource-type", "unit_test", as_of=as_of, vars=dict(vars))
    rows = rows_by_user(engine, "analytics.user_segment")
    assert {row["as_of"] for row in rows.values()} == {as_of}
    assert len({row["computed_at"] for row in rows.values()}) == 1
    with engine.connect() as connection:
        rewritten = set(
            connection.scalars(
                text(
                    "select user_id from analytics.user_activity "
                    "where evaluated_at = (select max(computed_at) from analytics.user_segment)"
                )
            )
        )
    return _published(engine), rewritten


def _activity_table_oid(engine: Engine) -> int:
    """The identity of the user_activity table: a rebuild creates a new one."""
    with engine.connect() as connection:
        return int(connection.scalar(text("select to_regclass('analytics.user_activity')::oid")))


def test_incremental_runs_evaluate_every_player_and_equal_a_full_build(
    engine: Engine, run_dbt: RunDbt
) -> None:
    start = _now() - days(40)
    add_user(engine, 1, start - days(100))
    add_event(engine, 1, "dice_play", start - days(6))  # idle 6 days: dormant_short in 1
    add_user(engine, 2, start - days(6))  # new: no longer new in 1 day
    add_event(engine, 2, "login", start - timedelta(hours=1))
    add_user(engine, 3, start - days(100))
    add_event(engine, 3, "roulette_play", start - timedelta(hours=1))  # active for days
    add_user(engine, 4, start - days(100))
    add_event(engine, 4, "login", start - days(2))  # active until new data arrives
    add_user(engine, 5, start - days(100))
    add_event(engine, 5, "lottery_play", start - days(1))

    segments, rewritten = _incremental_run(engine, run_dbt, start)
    assert rewritten == {1, 2, 3, 4, 5}
    assert segments == _full_evaluation(engine, run_dbt, start)
    incremental_table = _activity_table_oid(engine)

    # time alone: user 1 becomes dormant_short and user 2 stops being new, though no
    # profile changed: the rules are evaluated on every run. user_activity rewrites only
    # the users holding the newest events (2 and 3: the late-arrival window).
    later = start + days(2)
    segments, rewritten = _incremental_run(engine, run_dbt, later)
    assert rewritten == {2, 3}
    published = rows_by_user(engine, "analytics.user_segment")
    assert (published[1]["segment"], published[2]["segment"]) == ("DORMANT_SHORT", "ACTIVE")
    assert segments == _full_evaluation(engine, run_dbt, later)

    # new data: a deposit makes user 4 VIP; an override pins user 5 without touching
    # its profile
    add_snapshot(engine, 4, 1_500_000, later + timedelta(hours=1))
    add_override(engine, 5, "DORMANT_LONG", created_at=later + timedelta(hours=1), expires_at=None)
    next_run = later + timedelta(hours=2)
    segments, rewritten = _incremental_run(engine, run_dbt, next_run)
    assert rewritten == {2, 3, 4}
    published = rows_by_user(engine, "analytics.user_segment")
    assert (published[4]["segment"], published[4]["rule"]) == ("VIP", "vip")
    assert (published[5]["segment"], published[5]["rule"]) == ("DORMANT_LONG", "override")
    assert segments == _full_evaluation(engine, run_dbt, next_run)

    # an analyst edits a rule: the next incremental run applies it to every player,
    # with user_activity neither rebuilt nor rewritten for it
    edited = declared_segments()
    dormant_short = next(entry for entry in edited if entry["name"] == "DORMANT_SHORT")
    dormant_short["when"] = "last_active_at <= as_of - interval '1 day'"
    analyst = segments_vars(edited)
    segments, _ = _incremental_run(engine, run_dbt, next_run, **analyst)
    assert rows_by_user(engine, "analytics.user_segment")[3]["segment"] == "DORMANT_SHORT"
    assert _activity_table_oid(engine) == incremental_table
    assert segments == _full_evaluation(engine, run_dbt, next_run, **analyst)

    # back to the declaration, then a replay of the earlier moment
    _incremental_run(engine, run_dbt, next_run)
    segments, _ = _incremental_run(engine, run_dbt, start + days(1))
    assert segments == _full_evaluation(engine, run_dbt, start + days(1))


def test_history_is_fed_only_the_players_whose_segment_or_rule_changed(
    engine: Engine, run_dbt: RunDbt
) -> None:
    first_as_of = _now() - days(20)
    add_user(engine, 1, first_as_of - days(1))  # new, then idle for 11 days
    for user_id in (2, 3):
        add_user(engine, user_id, first_as_of - days(100))
        add_event(engine, user_id, "dice_play", first_as_of - timedelta(hours=1))
        add_event(engine, user_id, "dice_play", first_as_of + days(10) - timedelta(hours=1))
    run_dbt("build", as_of=first_as_of)

    # every player moved (new plays, or a new segment), and only player 1's segment did:
    # the publish opened a version for player 1 alone
    run_dbt("build", as_of=first_as_of + days(10))
    with engine.connect() as connection:
        updated = set(
            connection.scalars(text("select user_id from analytics_candidate.user_segment_updates"))
        )
        opened = connection.execute(
            text(
                "select opened.user_id, closed.segment, opened.segment "
                "from snapshots.user_segment_history as opened "
                "left join snapshots.user_segment_history as closed "
                "on closed.user_id = opened.user_id "
                "and closed.dbt_valid_to = opened.dbt_valid_from "
                "where opened.dbt_valid_from = "
                "(select max(dbt_valid_from) from snapshots.user_segment_history)"
            )
        ).all()
    assert updated == {1, 2, 3}
    assert [tuple(row) for row in opened] == [(1, "NEW", "DORMANT_SHORT")]
