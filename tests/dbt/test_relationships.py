"""A relationships test finds a child row without a parent, whichever way it reads the
parent: index probes for the few rows of an incremental run, a hash join above
var pulse__relationships_probe_limit (macros/postgres__test_relationships.sql)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from tests.support.dbt import RunDbt
from tests.support.dbt_data import add_event, add_user

TEST_PREFIX = "relationships_user_activity_user_id"


def _compiled_test(dbt_target_dir: Path) -> str:
    compiled = dbt_target_dir / "runs" / "compiled" / "pulse" / "models" / "marts"
    # dbt names the file by a hash where the test's name is long
    return next(compiled.rglob("relationships_user_activity_*.sql")).read_text()


@pytest.mark.parametrize(
    ("probe_limit", "probes"),
    [(100_000, True), (0, False)],
    ids=["index-probes", "hash-join"],
)
def test_a_row_of_a_missing_user_fails_the_relationships_test(
    engine: Engine, run_dbt: RunDbt, dbt_target_dir: Path, probe_limit: int, probes: bool
) -> None:
    now = datetime.now(UTC)
    add_user(engine, 1, now - timedelta(days=3))
    add_event(engine, 1, "dice_play", now - timedelta(hours=1))
    checks = {"pulse__relationships_probe_limit": probe_limit}

    passed = run_dbt("build", vars=checks)
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
    failed = run_dbt("test", "--select", "user_activity", vars=checks, expect_success=False)
    assert failed.statuses[relationships] == "fail"
    assert ("left join lateral" in _compiled_test(dbt_target_dir)) is probes
