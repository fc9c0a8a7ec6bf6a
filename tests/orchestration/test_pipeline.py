"""The pipeline end to end, in process, against the test database.

One full refresh publishes everything; the tests after it change one thing each
and restore it: a failing upstream check, the overlap guard, a dry run, a replay.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from dagster import (
    AssetKey,
    DagsterEventType,
    DagsterInstance,
    ExecuteInProcessResult,
    build_sensor_context,
)
from sqlalchemy import Engine, text

from orchestration import segment_users
from orchestration.assets.dbt import REFRESH_LOCK
from orchestration.checks import USER_SEGMENT_KEY
from orchestration.config import OrchestrationSettings
from orchestration.definitions import defs
from orchestration.resources import PulseDatabase
from orchestration.sensors import build_alert_sensors
from pulse.settings import PROJECT_ROOT
from tests.support.published import published_segments
from tests.support.replay import REPLAY_USER_ID
from tests.support.segments import declared_segments, segments_vars
from tests.support.tables import event_type_check_dropped
from tests.support.webhook import WebhookReceiver

UPDATES_KEY = AssetKey(["analytics_candidate", "user_segment_updates"])
QUIET = {"loggers": {"console": {"config": {"log_level": "ERROR"}}}}


def run_job(instance: DagsterInstance, name: str, **config: Any) -> ExecuteInProcessResult:
    run_config: dict[str, Any] = dict(QUIET)
    if config:
        run_config["ops"] = {"pulse_dbt_models": {"config": config}}
    return defs.resolve_job_def(name).execute_in_process(
        run_config=run_config, instance=instance, raise_on_error=False
    )


def history_rows(engine: Engine) -> list[tuple[Any, ...]]:
    with engine.connect() as connection:
        return [
            tuple(row)
            for row in connection.execute(
                text(
                    "select user_id, segment, dbt_valid_from, dbt_valid_to "
                    "from snapshots.user_segment_history order by 1, 3"
                )
            )
        ]


def change_rows(engine: Engine) -> list[tuple[Any, ...]]:
    with engine.connect() as connection:
        return [
            tuple(row)
            for row in connection.execute(
                text("select * from analytics.user_segment_changes order by changed_at, change_id")
            )
        ]


def segment_of(engine: Engine, user_id: int) -> tuple[str, datetime]:
    with engine.connect() as connection:
        row = connection.execute(
            text("select segment, as_of from analytics.user_segment where user_id = :id"),
            {"id": user_id},
        ).one()
    return row.segment, row.as_of


@pytest.fixture(scope="module")
def full_refresh(
    seeded_database: Engine, dagster_instance: DagsterInstance
) -> ExecuteInProcessResult:
    return run_job(dagster_instance, "segment_full_refresh", full_refresh=True)


def test_full_refresh_materializes_every_asset_and_passes_every_check(
    full_refresh: ExecuteInProcessResult, seeded_database: Engine
) -> None:
    assert full_refresh.success
    materialized = {event.asset_key for event in full_refresh.get_asset_materialization_events()}
    expected = defs.resolve_job_def("segment_full_refresh").asset_layer.selected_asset_keys
    observed = {event.asset_key for event in full_refresh.get_asset_observation_events()}
    assert AssetKey(["app", "activity_events"]) in observed
    assert {USER_SEGMENT_KEY, UPDATES_KEY} <= materialized
    assert materialized | observed == set(expected)
    evaluations = [
        event.event_specific_data
        for event in full_refresh.all_events
        if event.event_type == DagsterEventType.ASSET_CHECK_EVALUATION
    ]
    assert len(evaluations) > 20 and all(evaluation.passed for evaluation in evaluations)
    with seeded_database.connect() as connection:
        users = connection.execute(text("select count(*) from app.users")).scalar_one()
        published = connection.execute(
            text("select count(*) from analytics.user_segment")
        ).scalar_one()
        history = connection.execute(
            text("select count(*) from snapshots.user_segment_history")
        ).scalar_one()
    assert published == users == history
    assert segment_of(seeded_database, REPLAY_USER_ID)[0] == "DORMANT_SHORT"


def test_freshness_check_reads_the_published_run(
    full_refresh: ExecuteInProcessResult, dagster_instance: DagsterInstance
) -> None:
    assert full_refresh.success
    result = run_job(dagster_instance, "freshness_checks")
    evaluation = next(
        event.event_specific_data
        for event in result.all_events
        if event.event_type == DagsterEventType.ASSET_CHECK_EVALUATION
        and event.event_specific_data.check_name == "user_segment_is_fresh"
    )
    # a missing or unreadable publication fails the check as "nothing yet"
    assert evaluation.passed, evaluation.description
    assert evaluation.metadata["age_minutes"].value < 5


@pytest.fixture
def bad_event_type(seeded_database: Engine) -> Iterator[None]:
    """An event type the rules do not know, as a broken ingest release could write."""
    with event_type_check_dropped(seeded_database, "slot_play"):
        with seeded_database.begin() as connection:
            connection.execute(
                text(
                    "insert into app.activity_events (event_id, user_id, event_type, occurred_at) "
                    "select :id, min(id), 'slot_play', now() from app.users"
                ),
                {"id": uuid.uuid4()},
            )
        yield


def test_failing_upstream_check_blocks_user_segment_and_alerts(
    full_refresh: ExecuteInProcessResult,
    seeded_database: Engine,
    dagster_instance: DagsterInstance,
    bad_event_type: None,
    webhook: WebhookReceiver,
) -> None:
    before = published_segments(seeded_database)
    sensors = {
        sensor.name: sensor
        for sensor in build_alert_sensors(OrchestrationSettings(alert_webhook_url=webhook.url))
    }
    # The run-failure sensor's first tick only marks where it starts watching, as in the daemon.
    start = sensors["run_failure_alert"].evaluate_tick(
        build_sensor_context(instance=dagster_instance)
    )

    result = run_job(dagster_instance, "segment_refresh")

    assert not result.success
    failed = [
        event.event_specific_data
        for event in result.all_events
        if event.event_type == DagsterEventType.ASSET_CHECK_EVALUATION
        and not event.event_specific_data.passed
    ]
    # The accepted-values test on event_type fails (on the source, the staging view, or both).
    assert failed
    assert all(
        "accepted_values" in evaluation.check_name and "event_type" in evaluation.check_name
        for evaluation in failed
    )
    materialized = {event.asset_key for event in result.get_asset_materialization_events()}
    assert USER_SEGMENT_KEY not in materialized
    assert published_segments(seeded_database) == before

    # Both alerts fire on the sensors' next ticks, the way the daemon evaluates them, for a
    # run executed in process (as the script and cron do): the failed check and the failed run.
    check_tick = sensors["check_failure_alert"].evaluate_tick(
        build_sensor_context(instance=dagster_instance)
    )
    assert check_tick.cursor
    sensors["run_failure_alert"].evaluate_tick(
        build_sensor_context(instance=dagster_instance, cursor=start.cursor)
    )
    texts = [str(body["text"]) for body in webhook.bodies]
    assert any("accepted_values" in text and "failed" in text for text in texts)
    assert any("run of segment_refresh failed" in text for text in texts)
    assert any("1 failing row(s)" in json.dumps(body) for body in webhook.bodies)
    # The run alert carries the dbt failure summary, not Dagster's generic "steps failed",
    # and what the run did to the published relations, as the step checked it.
    assert any("dbt build failed" in json.dumps(body) for body in webhook.bodies)
    assert any("nothing was published" in json.dumps(body) for body in webhook.bodies)


def test_a_second_refresh_never_overlaps_a_running_one(
    full_refresh: ExecuteInProcessResult, dagster_instance: DagsterInstance
) -> None:
    with PulseDatabase().exclusive(REFRESH_LOCK):
        result = run_job(dagster_instance, "segment_refresh")
    assert not result.success
    failure = next(event for event in result.all_events if event.is_step_failure)
    assert "another segment refresh is running" in str(failure.event_specific_data.error)


def test_dry_run_reports_transitions_and_changes_no_published_row(
    full_refresh: ExecuteInProcessResult, seeded_database: Engine, tmp_path: Path
) -> None:
    before = published_segments(seeded_database)
    with seeded_database.begin() as connection:
        connection.execute(
            text(
                "insert into app.activity_events (event_id, user_id, event_type, occurred_at) "
                "values (:id, :user_id, 'login', now() - interval '1 minute')"
            ),
            {"id": uuid.uuid4(), "user_id": REPLAY_USER_ID},
        )
    dagster_home = tmp_path / "empty-dagster-home"
    dagster_home.mkdir()
    try:
        completed = subprocess.run(
            [sys.executable, "scripts/segment_users.py", "--dry-run", "--json"],
            cwd=PROJECT_ROOT,
            env={**os.environ, "DAGSTER_HOME": str(dagster_home)},
            capture_output=True,
            text=True,
            timeout=240,
        )
    finally:
        with seeded_database.begin() as connection:
            connection.execute(
                text(
                    "delete from app.activity_events where user_id = :id and event_type = 'login'"
                ),
                {"id": REPLAY_USER_ID},
            )

    assert completed.returncode == 0, completed.stderr[-2000:]
    report = json.loads(completed.stdout)
    moves = {(item["from_segment"], item["to_segment"]): item for item in report["transitions"]}
    assert REPLAY_USER_ID in moves[("DORMANT_SHORT", "ACTIVE")]["sample_user_ids"]
    assert all(len(item["sample_user_ids"]) <= 10 for item in report["transitions"])
    assert report["total_users"] == len(before)
    assert report["total_moving"] == sum(
        item["users"] for key, item in moves.items() if key[0] != key[1]
    )
    assert "built" in completed.stderr or "step" in completed.stderr  # progress lines
    assert published_segments(seeded_database) == before
    # The run is recorded in the instance the empty DAGSTER_HOME became.
    assert (dagster_home / "dagster.yaml").exists()
    with DagsterInstance.from_config(str(dagster_home)) as instance:
        [run] = instance.get_runs()
    assert run.job_name == "segment_dry_run" and run.is_success


def _dry_run_script(arguments: list[str], dagster_home: Path) -> subprocess.CompletedProcess[str]:
    dagster_home.mkdir(exist_ok=True)
    return subprocess.run(
        [sys.executable, "scripts/segment_users.py", "--dry-run", *arguments],
        cwd=PROJECT_ROOT,
        env={**os.environ, "DAGSTER_HOME": str(dagster_home)},
        capture_output=True,
        text=True,
        timeout=240,
    )


def test_dry_run_previews_a_proposed_declaration_without_editing_or_publishing(
    full_refresh: ExecuteInProcessResult, seeded_database: Engine, tmp_path: Path
) -> None:
    before = published_segments(seeded_database)
    project_file = PROJECT_ROOT / "dbt_project" / "dbt_project.yml"
    declaration_before = project_file.read_text()
    # the proposal drops the rule with the most published players: exactly they move
    published_counts: dict[str, int] = {}
    for _, segment, _, _ in before:
        published_counts[segment] = published_counts.get(segment, 0) + 1
    entries = declared_segments()
    removed = max(entries[:-1], key=lambda entry: published_counts.get(entry["name"], 0))["name"]
    proposal = tmp_path / "proposed.yml"
    proposal.write_text(
        yaml.safe_dump(
            segments_vars([entry for entry in entries if entry["name"] != removed]),
            allow_unicode=True,
        )
    )

    completed = _dry_run_script(["--segments", str(proposal), "--json"], tmp_path / "dagster")

    assert completed.returncode == 0, completed.stderr[-2000:]
    report = json.loads(completed.stdout)
    moving = [item for item in report["transitions"] if item["from_segment"] != item["to_segment"]]
    assert {item["from_segment"] for item in moving} == {removed}
    assert removed not in {item["to_segment"] for item in report["transitions"]}
    assert report["total_moving"] == published_counts[removed] > 0
    assert published_segments(seeded_database) == before
    assert project_file.read_text() == declaration_before


def test_dry_run_of_an_invalid_declaration_names_the_entry(
    full_refresh: ExecuteInProcessResult, seeded_database: Engine, tmp_path: Path
) -> None:
    before = published_segments(seeded_database)
    entries = declared_segments()
    entries.insert(1, {"name": "IDLE_GAMERS", "when": "days_idle > 3", "description": "x"})
    proposal = tmp_path / "proposed.yml"
    proposal.write_text(yaml.safe_dump(segments_vars(entries)))

    completed = _dry_run_script(["--segments", str(proposal)], tmp_path / "dagster")

    assert completed.returncode == 1
    reason = completed.stderr.strip().splitlines()[-1]
    assert "invalid segment declaration: entry 2 (IDLE_GAMERS)" in reason, reason
    assert "days_idle" in reason
    assert published_segments(seeded_database) == before

    # a file of another shape is refused before anything runs
    proposal.write_text(yaml.safe_dump({"segments": entries}))
    completed = _dry_run_script(["--segments", str(proposal)], tmp_path / "dagster")
    assert completed.returncode == 2
    assert "exactly one top-level key, pulse__segments" in completed.stderr


@pytest.fixture
def present_republished(
    full_refresh: ExecuteInProcessResult, dagster_instance: DagsterInstance
) -> Iterator[None]:
    """A replay publishes a past moment's segments: afterwards a full refresh publishes the
    present again, so no later test reads the replay's."""
    yield
    assert run_job(dagster_instance, "segment_full_refresh", full_refresh=True).success


def test_as_of_reproduces_a_past_moment(
    present_republished: None,
    seeded_database: Engine,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster"))
    past = (datetime.now(UTC) - timedelta(days=15)).replace(microsecond=0)
    history_before = history_rows(seeded_database)
    changes_before = change_rows(seeded_database)

    assert segment_users.main(["--as-of", past.isoformat(), "--json"]) == 0

    summary = json.loads(capsys.readouterr().out)
    assert datetime.fromisoformat(summary["as_of"]) == past
    # 15 days ago the replay player had played 5 days before: ACTIVE, not DORMANT_SHORT.
    assert segment_of(seeded_database, REPLAY_USER_ID) == ("ACTIVE", past)
    # A replay is not the present: the membership history (and change feed) stay as they were.
    assert history_rows(seeded_database) == history_before
    assert change_rows(seeded_database) == changes_before


def test_script_exits_non_zero_with_one_line_for_bad_input() -> None:
    completed = subprocess.run(
        [sys.executable, "scripts/segment_users.py", "--as-of", "last tuesday"],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert completed.returncode == 2
    assert completed.stderr.strip().count("\n") == 0 and "ISO-8601" in completed.stderr
