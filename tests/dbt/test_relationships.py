"""The relationships test on the rows an incremental run wrote finds a profile of a user
app.users does not have (dbt's own test, with the `pulse_latest(...)` filter of
macros/get_where_subquery.sql)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, text

from tests.support.dbt import RunDbt
from tests.support.dbt_data import add_event, add_user

TEST_PREFIX = "relationships_user_activity_user_id"


def test_a_row_of_a_missing_user_fails_the_relationships_test(
    engine: Engine, run_dbt: RunDbt
) -> None:
    now = datetime.now(UTC)
    add_user(engine, 1, now - timedelta(days=3))
    add_event(engine, 1, "dice_play", now - timedelta(hours=1))
    passed = run_dbt("build")
    relationships = next(name for name in passed.statuses if name.startswith(TEST_PREFIX))
    assert passed.statuses[relationships] == "pass"

    # a row the latest run could have written, for a user app.users does not have
    with engine.begin() as connection:
        connection.execute(
            text(
                "insert into analytics.user_activity (user_id, evaluated_at) "
                "select 999, max(evaluated_at) from analytics.user_activity"
            )
        )
    failed = run_dbt("test", "--select", "user_activity", expect_success=False)
    assert failed.statuses[relationships] == "fail"
