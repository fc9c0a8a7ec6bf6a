"""The segment declaration (var pulse__segments) drives the catalogue, the rules and their
checks: built by dbt for real, with declarations derived from the one dbt_project.yml ships."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, text

from tests.support.dbt import RunDbt
from tests.support.dbt_data import add_event, add_override, add_user, days, rows_by_user
from tests.support.segments import (
    declared_segments,
    expected_catalogue,
    fallback_name,
    segments_vars,
)

Entries = list[dict[str, Any]]
# Builds under another declaration leave out dbt's unit tests, as refreshes do: they
# check the declaration dbt_project.yml ships.
NO_UNIT_TESTS = ("--exclude-resource-type", "unit_test")


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def _relation_exists(engine: Engine, relation: str) -> bool:
    with engine.connect() as connection:
        return connection.scalar(text("select to_regclass(:name)"), {"name": relation}) is not None


def test_the_catalogue_publishes_the_declaration_with_the_runs_labels(
    engine: Engine, run_dbt: RunDbt
) -> None:
    add_user(engine, 1, _now() - days(3))
    as_of = _now() - timedelta(hours=1)
    run_dbt("build", as_of=as_of)

    with engine.connect() as connection:
        catalogue = (
            connection.execute(text("select * from analytics.segment_catalogue order by priority"))
            .mappings()
            .all()
        )
        published_labels = connection.execute(
            text("select distinct as_of, computed_at from analytics.user_segment")
        ).one()
    declared = declared_segments()
    assert [
        (
            row["priority"],
            row["name"],
            row["rule"],
            row["when_sql"],
            row["description"],
            row["description_ko"],
            row["is_fallback"],
        )
        for row in catalogue
    ] == expected_catalogue(declared)
    assert {(row["as_of"], row["computed_at"]) for row in catalogue} == {tuple(published_labels)}
    assert published_labels.as_of == as_of


def _renamed(position: int, name: str) -> Callable[[Entries], None]:
    def change(entries: Entries) -> None:
        entries[position]["name"] = name

    return change


def _duplicate_name(entries: Entries) -> None:
    entries[1]["name"] = entries[0]["name"]


def _fallback_with_a_when(entries: Entries) -> None:
    entries[-1]["when"] = "true"


def _rule_without_a_when(entries: Entries) -> None:
    del entries[0]["when"]


def _when(position: int, expression: str) -> Callable[[Entries], None]:
    def change(entries: Entries) -> None:
        entries[position]["when"] = expression

    return change


# (how the declaration is broken, the entry the error must name, what it must say)
INVALID_DECLARATIONS = {
    "duplicate-name": (_duplicate_name, 2, "already used by entry 1"),
    "malformed-name": (_renamed(0, "Big spenders"), 1, "must match"),
    "reserved-name": (_renamed(1, "OVERRIDE"), 2, "reserved"),
    "fallback-with-a-when": (_fallback_with_a_when, -1, "fallback"),
    "rule-without-a-when": (_rule_without_a_when, 1, "has no when"),
    "when-that-does-not-compile": (_when(0, "deposit_30d >= >= 1"), 1, "does not compile"),
    "unknown-column": (_when(2, "days_idle >= 7"), 3, "days_idle"),
}


@pytest.mark.parametrize(
    ("break_declaration", "entry_position", "explanation"),
    INVALID_DECLARATIONS.values(),
    ids=INVALID_DECLARATIONS.keys(),
)
def test_an_invalid_declaration_names_the_entry_and_publishes_nothing(
    engine: Engine,
    run_dbt: RunDbt,
    break_declaration: Callable[[Entries], None],
    entry_position: int,
    explanation: str,
) -> None:
    add_user(engine, 1, _now() - days(3))
    entries = declared_segments()
    break_declaration(entries)
    position = entry_position if entry_position > 0 else len(entries)
    named = f"entry {position} ({entries[position - 1].get('name')})"

    outcome = run_dbt("build", vars=segments_vars(entries), expect_success=False)

    assert not outcome.success
    assert named in outcome.errors and explanation in outcome.errors, outcome.errors
    for relation in ("analytics.user_activity", "analytics.user_segment"):
        assert not _relation_exists(engine, relation)


def test_a_when_the_warehouse_refuses_leaves_the_published_segments_as_they_were(
    engine: Engine, run_dbt: RunDbt
) -> None:
    add_user(engine, 1, _now() - days(3))
    run_dbt("build")
    before = rows_by_user(engine, "analytics.user_segment")

    entries = declared_segments()
    entries[0]["when"] = "deposit_30d >= 'a lot'"
    outcome = run_dbt("build", vars=segments_vars(entries), expect_success=False)

    assert f"entry 1 ({entries[0]['name']})" in outcome.errors
    # the check runs before anything: every node is skipped (and the publish gate, an
    # end hook, publishes nothing)
    nodes = {name: status for name, status in outcome.statuses.items() if "on-run-end" not in name}
    assert set(nodes.values()) - {"skipped"} == {"error"}
    assert rows_by_user(engine, "analytics.user_segment") == before


def _row_version(engine: Engine, user_id: int) -> str:
    with engine.connect() as connection:
        return str(
            connection.scalar(
                text("select xmin::text from analytics.user_activity where user_id = :id"),
                {"id": user_id},
            )
        )


def test_a_rule_over_play_columns_flips_with_time_alone_and_lists_every_match(
    engine: Engine, run_dbt: RunDbt
) -> None:
    """A new entry, first in priority, reading play counts and the last play."""
    first_as_of = _now() - days(20)
    fan, newcomer = 1, 2
    add_user(engine, fan, first_as_of - days(100))
    for hour in range(30):
        add_event(engine, fan, "roulette_play", first_as_of - days(2) - timedelta(hours=hour))
    # newer data of another player keeps the fan out of the late-arrival window
    add_user(engine, newcomer, first_as_of - days(1))
    add_event(engine, newcomer, "login", first_as_of - timedelta(hours=1))
    lapsed_fan = {
        "name": "LAPSED_ROULETTE_FAN",
        "when": "last_play_at <= as_of - interval '3 days' and roulette_plays >= 30",
        "description": "Players with 30 or more roulette plays who have not played for 3 days.",
    }
    entries = [lapsed_fan, *declared_segments()]
    declaration = segments_vars(entries)

    run_dbt("build", *NO_UNIT_TESTS, as_of=first_as_of, vars=declaration)
    fan_row = rows_by_user(engine, "analytics.user_segment")[fan]
    assert (fan_row["segment"], fan_row["matched_segments"]) == (
        fallback_name(),
        fallback_name(),
    )
    profile_version = _row_version(engine, fan)

    # two days later, no new data: the fan has not played for 4 days
    run_dbt("build", *NO_UNIT_TESTS, as_of=first_as_of + days(2), vars=declaration)
    fan_row = rows_by_user(engine, "analytics.user_segment")[fan]
    assert (fan_row["segment"], fan_row["rule"], fan_row["matched_segments"]) == (
        "LAPSED_ROULETTE_FAN",
        "lapsed_roulette_fan",
        "LAPSED_ROULETTE_FAN",
    )
    assert _row_version(engine, fan) == profile_version  # the profile was not recomputed

    # a week later every entry that holds is listed, in priority order
    run_dbt("build", *NO_UNIT_TESTS, as_of=first_as_of + days(7), vars=declaration)
    fan_row = rows_by_user(engine, "analytics.user_segment")[fan]
    assert fan_row["segment"] == "LAPSED_ROULETTE_FAN"
    assert fan_row["matched_segments"] == "LAPSED_ROULETTE_FAN,DORMANT_SHORT"
    with engine.connect() as connection:
        catalogued = connection.scalar(text("select count(*) from analytics.segment_catalogue"))
    assert catalogued == len(entries)


def test_an_override_of_a_segment_removed_from_the_declaration_is_ignored(
    engine: Engine, run_dbt: RunDbt
) -> None:
    as_of = _now() - timedelta(hours=1)
    add_user(engine, 1, as_of - days(200))  # idle for months
    entries = declared_segments()
    removed = entries[-2]["name"]
    add_override(engine, 1, removed, created_at=as_of - days(1), expires_at=None)

    run_dbt("build", as_of=as_of)
    row = rows_by_user(engine, "analytics.user_segment")[1]
    assert (row["segment"], row["rule"]) == (removed, "override")

    without_it = segments_vars([entry for entry in entries if entry["name"] != removed])
    outcome = run_dbt("build", *NO_UNIT_TESTS, as_of=as_of, vars=without_it)
    row = rows_by_user(engine, "analytics.user_segment")[1]
    assert row["rule"] != "override" and row["segment"] != removed
    assert row["segment"] == row["matched_segments"].split(",")[0]
    assert (row["override_reason"], row["override_expires_at"]) == (None, None)
    # the override's data test warns the operator without blocking the run
    [override_test] = [
        name for name in outcome.statuses if name.startswith("relationships_stg_app__segment_")
    ]
    assert outcome.statuses[override_test] == "warn"
