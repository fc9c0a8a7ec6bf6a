"""The singular tests fail on the rows they guard: a charge after the run's as_of (read
from user_activity), a negative 30-day deposit sum, a segment that is not the first
matched one (read from the candidate user_segment_updates, which the tests check before the
publish gate publishes it), and a user without a profile. The runs use the dry run's
schema prefix, whose candidates are never published: they stay to be corrupted."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, text

from tests.support.dbt import RunDbt
from tests.support.dbt_data import add_event, add_user

DRY_RUN = {"pulse__schema_prefix": "dryrun_"}


@pytest.mark.parametrize(
    ("singular_test", "relation", "corruption"),
    [
        (
            "assert_no_charge_after_as_of",
            "dryrun_analytics.user_activity",
            "last_charge_at = evaluated_at + interval '1 day'",
        ),
        (
            "assert_deposit_30d_not_negative",
            "dryrun_analytics_candidate.user_segment_updates",
            "deposit_30d = -1",
        ),
        (
            "assert_rule_is_the_first_matched_segment",
            "dryrun_analytics_candidate.user_segment_updates",
            "matched_segments = 'SOMETHING_ELSE,' || matched_segments",
        ),
    ],
)
def test_singular_test_fails_on_a_row_of_the_latest_run(
    engine: Engine, run_dbt: RunDbt, singular_test: str, relation: str, corruption: str
) -> None:
    now = datetime.now(UTC)
    add_user(engine, 1, now - timedelta(days=3))
    add_event(engine, 1, "dice_play", now - timedelta(hours=1))
    passed = run_dbt("build", vars=DRY_RUN)
    assert passed.statuses[singular_test] == "pass"

    with engine.begin() as connection:
        connection.execute(text(f"update {relation} set {corruption}"))
    failed = run_dbt("test", "--select", singular_test, vars=DRY_RUN, expect_success=False)
    assert failed.statuses[singular_test] == "fail"


def test_one_profile_test_fails_on_a_user_without_a_profile(
    engine: Engine, run_dbt: RunDbt
) -> None:
    now = datetime.now(UTC)
    for user_id in (1, 2):
        add_user(engine, user_id, now - timedelta(days=3))
    passed = run_dbt("build", vars=DRY_RUN)
    assert passed.statuses["assert_every_user_has_exactly_one_profile"] == "pass"

    with engine.begin() as connection:
        connection.execute(text("delete from dryrun_analytics.user_activity where user_id = 2"))
    failed = run_dbt(
        "test",
        "--select",
        "assert_every_user_has_exactly_one_profile",
        vars=DRY_RUN,
        expect_success=False,
    )
    assert failed.statuses["assert_every_user_has_exactly_one_profile"] == "fail"
