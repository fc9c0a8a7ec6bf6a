"""Data tests check what a run consumes and writes, through dbt's `where` config and
Pulse's `get_where_subquery` (macros/get_where_subquery.sql): `pulse_latest(column)` keeps
the rows of an incremental model's latest run, `__pulse_recent_arrivals__` the raw rows
received since the published run. Both fail if dbt stops passing the `where` through
that macro: the placeholders are not SQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, text

from tests.support.dbt import RunDbt
from tests.support.dbt_data import add_event, add_user, days
from tests.support.tables import event_type_check_dropped

# an incremental run re-reads nothing from before the previous one: user 1's old row
# stays as the first run wrote it
NO_LATE_ARRIVALS = {"pulse__late_arrival_minutes": 0}
UPDATED_AT_TEST = "not_null_user_activity_updated_at"
EVENT_TYPE_TEST = "source_accepted_values_app_activity_events_event_type"


def _status(statuses: dict[str, str], prefix: str) -> str:
    return next(status for name, status in statuses.items() if name.startswith(prefix))


def test_tests_on_an_incremental_model_check_the_latest_runs_rows(
    engine: Engine, run_dbt: RunDbt
) -> None:
    now = datetime.now(UTC)
    for user_id in (1, 2):
        add_user(engine, user_id, now - days(30))
        add_event(engine, user_id, "dice_play", now - days(2))
    run_dbt("build", vars=NO_LATE_ARRIVALS)
    # a bad value in a row an earlier run wrote (and its tests passed on)
    with engine.begin() as connection:
        connection.execute(
            text("update analytics.user_activity set updated_at = null where user_id = 1")
        )

    add_event(engine, 2, "login", now - timedelta(minutes=1))
    passed = run_dbt("build", vars=NO_LATE_ARRIVALS)
    assert _status(passed.statuses, UPDATED_AT_TEST) == "pass"

    # the same value in a row of the latest run
    with engine.begin() as connection:
        connection.execute(
            text("update analytics.user_activity set updated_at = null where user_id = 2")
        )
    failed = run_dbt("test", "--select", "user_activity", expect_success=False)
    assert _status(failed.statuses, UPDATED_AT_TEST) == "fail"


@pytest.fixture
def unchecked_event_types(engine: Engine) -> Iterator[None]:
    with event_type_check_dropped(engine, "spin"):
        yield


def _add_bad_event(engine: Engine, received_at: datetime) -> None:
    with engine.begin() as connection:
        connection.execute(
            text(
                "insert into app.activity_events "
                "(event_id, user_id, event_type, occurred_at, received_at) "
                "values (gen_random_uuid(), 1, 'spin', :received_at, :received_at)"
            ),
            {"received_at": received_at},
        )


def test_source_tests_check_the_rows_received_since_the_published_run(
    engine: Engine, run_dbt: RunDbt, unchecked_event_types: None
) -> None:
    now = datetime.now(UTC)
    add_user(engine, 1, now - days(30))
    add_event(engine, 1, "dice_play", now - days(2))
    run_dbt("build")
    # received an hour before the published run: an earlier run consumed and checked it
    _add_bad_event(engine, now - timedelta(hours=1))
    passed = run_dbt("build")
    assert _status(passed.statuses, EVENT_TYPE_TEST) == "pass"

    _add_bad_event(engine, datetime.now(UTC))
    failed = run_dbt("build", expect_success=False)
    assert _status(failed.statuses, EVENT_TYPE_TEST) == "fail"
