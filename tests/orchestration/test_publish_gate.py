"""The publish gate: a run whose check fails publishes nothing, and says so truthfully.

The check that fails is a singular dbt test added to a copy of the checkout (the
shared dbt project is never edited): it reads the candidate `user_segment`, so it runs
after everything readers would see has been built. The refresh runs the way operators
run it, `pulse segment-users` as a process with its own Dagster instance, against
a database of its own.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from dagster import DagsterInstance, build_sensor_context
from sqlalchemy import Engine, create_engine, text

from orchestration.config import OrchestrationSettings
from orchestration.sensors import build_alert_sensors
from pulse.settings import PROJECT_ROOT
from tests.support.checkout import COMMAND_TIMEOUT_SECONDS, copy_checkout
from tests.support.published import published_snapshot
from tests.support.webhook import WebhookReceiver

FAILING_TEST = "assert_returning_players_stay_dormant"
PLAYERS = 20


@pytest.fixture
def gate_database(scratch_database: str) -> Iterator[Engine]:
    """A database of its own, migrated and seeded as `make demo` does."""
    environment = {**os.environ, "DATABASE_URL": scratch_database}
    for command in (
        [sys.executable, "-m", "alembic", "upgrade", "head"],
        [sys.executable, "scripts/generate_demo_data.py", "--users", "300"],
    ):
        subprocess.run(command, cwd=PROJECT_ROOT, env=environment, check=True, capture_output=True)
    engine = create_engine(scratch_database)
    yield engine
    engine.dispose()


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    """The code location, copied: the test adds a dbt test to the copy."""
    return copy_checkout(tmp_path / "checkout")


def segment_users(
    checkout: Path, database_url: str, dagster_home: Path
) -> subprocess.CompletedProcess[str]:
    dagster_home.mkdir(parents=True, exist_ok=True)
    return subprocess.run(
        [sys.executable, "-m", "pulse", "segment-users", "--json"],
        cwd=checkout,
        env={**os.environ, "DATABASE_URL": database_url, "DAGSTER_HOME": str(dagster_home)},
        capture_output=True,
        text=True,
        timeout=COMMAND_TIMEOUT_SECONDS,
        check=False,
    )


def segments(engine: Engine, user_ids: list[int]) -> dict[int, str]:
    with engine.connect() as connection:
        rows = connection.execute(
            text("select user_id, segment from analytics.user_segment where user_id = any(:ids)"),
            {"ids": user_ids},
        )
        return {row.user_id: row.segment for row in rows}


def test_a_failing_check_publishes_nothing_and_the_fixed_run_publishes_everything_together(
    gate_database: Engine, scratch_database: str, checkout: Path, tmp_path: Path
) -> None:
    engine = gate_database
    first = segment_users(checkout, scratch_database, tmp_path / "dagster-first")
    assert first.returncode == 0, first.stderr[-3000:]
    with engine.connect() as connection:
        dormant = list(
            connection.scalars(
                text(
                    "select user_id from analytics.user_segment where segment = 'DORMANT_LONG' "
                    "order by user_id limit :players"
                ),
                {"players": PLAYERS},
            )
        )
        published_at = connection.scalar(
            text("select max(computed_at) from analytics.user_segment")
        )
    assert len(dormant) == PLAYERS
    before = published_snapshot(engine)
    assert all(oid and rows for oid, rows in before.values())

    # The check: these players must stay dormant. It fails once they log in.
    ids = ", ".join(str(user_id) for user_id in dormant)
    (checkout / "dbt_project" / "tests" / f"{FAILING_TEST}.sql").write_text(
        f"select user_id, segment from {{{{ ref('user_segment') }}}}\n"
        f"where user_id in ({ids}) and segment <> 'DORMANT_LONG'\n"
    )
    login_at = datetime.now(UTC) - timedelta(minutes=1)
    with engine.begin() as connection:
        for user_id in dormant:
            connection.execute(
                text(
                    "insert into app.activity_events (event_id, user_id, event_type, occurred_at) "
                    "values (:id, :user_id, 'login', :at)"
                ),
                {"id": uuid.uuid4(), "user_id": user_id, "at": login_at},
            )

    failed_home = tmp_path / "dagster-failed"
    failed = segment_users(checkout, scratch_database, failed_home)

    assert failed.returncode == 1, failed.stderr[-3000:]
    # every published relation, rows and identity, exactly as before
    assert published_snapshot(engine) == before
    assert set(segments(engine, dormant).values()) == {"DORMANT_LONG"}
    reason = failed.stderr.strip().splitlines()[-1]
    assert reason.startswith("segment refresh failed (run ")
    assert f"test.pulse.{FAILING_TEST}" in reason
    assert FAILING_TEST in reason.split("failed checks: ", 1)[1]
    assert "nothing was published" in reason
    # the candidate the check failed on stays for inspection
    with engine.connect() as connection:
        assert (
            connection.scalar(
                text(
                    "select count(*) from analytics_candidate.user_segment "
                    "where user_id = any(:ids) and segment = 'ACTIVE'"
                ),
                {"ids": dormant},
            )
            == PLAYERS
        )

    # The check-failure alert fires for the failed check of the script's run.
    webhook = WebhookReceiver()
    instance = DagsterInstance.from_config(str(failed_home))
    try:
        settings = OrchestrationSettings(alert_webhook_url=webhook.url)
        sensors = {sensor.name: sensor for sensor in build_alert_sensors(settings)}
        check_alert = sensors["check_failure_alert"]
        check_alert.evaluate_tick(build_sensor_context(instance=instance))
    finally:
        instance.dispose()
        webhook.close()
    assert any(FAILING_TEST in str(body["text"]) for body in webhook.bodies)

    # Fixed: the check is gone. The next run publishes everything, together.
    (checkout / "dbt_project" / "tests" / f"{FAILING_TEST}.sql").unlink()
    fixed = segment_users(checkout, scratch_database, tmp_path / "dagster-fixed")
    assert fixed.returncode == 0, fixed.stderr[-3000:]

    assert set(segments(engine, dormant).values()) == {"ACTIVE"}
    with engine.connect() as connection:
        computed_at = connection.scalar(text("select max(computed_at) from analytics.user_segment"))
        catalogue_at = set(
            connection.scalars(text("select computed_at from analytics.segment_catalogue"))
        )
        changes = connection.execute(
            text(
                "select user_id, from_segment, to_segment, changed_at "
                "from analytics.user_segment_changes where changed_at > :before"
            ),
            {"before": published_at},
        ).all()
        versions = connection.execute(
            text(
                "select user_id, segment, dbt_valid_from, dbt_valid_to "
                "from snapshots.user_segment_history where user_id = any(:ids) "
                "order by user_id, dbt_valid_from"
            ),
            {"ids": dormant},
        ).all()
    assert computed_at > published_at
    assert catalogue_at == {computed_at}
    moved = {row.user_id: row for row in changes}
    assert set(dormant) <= set(moved)
    assert all(
        (moved[user_id].from_segment, moved[user_id].to_segment, moved[user_id].changed_at)
        == ("DORMANT_LONG", "ACTIVE", computed_at)
        for user_id in dormant
    )
    by_user: dict[int, list[tuple[str, datetime, datetime | None]]] = {}
    for row in versions:
        by_user.setdefault(row.user_id, []).append(
            (row.segment, row.dbt_valid_from, row.dbt_valid_to)
        )
    assert all(
        by_user[user_id][-2:]
        == [("DORMANT_LONG", published_at, computed_at), ("ACTIVE", computed_at, None)]
        for user_id in dormant
    )
