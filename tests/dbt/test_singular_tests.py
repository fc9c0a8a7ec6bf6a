"""The singular tests fail on the rows they guard: a charge after the run's as_of
(read from user_activity and its run record) and a negative 30-day deposit sum (read
from the published user_segment)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, text

from tests.dbt.conftest import RunDbt
from tests.dbt.data import add_event, add_user


@pytest.mark.parametrize(
    ("singular_test", "corruption"),
    [
        ("assert_no_charge_after_as_of", "last_charge_at = evaluated_at + interval '1 day'"),
        ("assert_deposit_30d_not_negative", "deposit_30d = -1"),
    ],
)
def test_singular_test_fails_on_a_row_of_the_latest_run(
    engine: Engine, run_dbt: RunDbt, singular_test: str, corruption: str
) -> None:
    now = datetime.now(UTC)
    add_user(engine, 1, now - timedelta(days=3))
    add_event(engine, 1, "dice_play", now - timedelta(hours=1))
    passed = run_dbt("build")
    assert passed.statuses[singular_test] == "pass"

    with engine.begin() as connection:
        connection.execute(text(f"update analytics.user_activity set {corruption}"))
    failed = run_dbt("test", "--select", singular_test, expect_success=False)
    assert failed.statuses[singular_test] == "fail"
