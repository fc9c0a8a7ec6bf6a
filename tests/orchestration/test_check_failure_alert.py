"""The check-failure alert on real instances of both storages, ticked as the daemon ticks it.

Each test runs against a SQLite instance in its own DAGSTER_HOME (the default of
`make run`) and a dagster-postgres instance in schema `dagster` of the test database.
Runs with failing checks are executed in process on that instance; the sensor is then
evaluated tick after tick, each tick given the cursor the previous one returned, and
every alert must reach the log and a real webhook receiver exactly once.
"""

from __future__ import annotations

import json
import logging
import threading
from collections import Counter
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest
from dagster import (
    AssetCheckResult,
    AssetCheckSpec,
    AssetsDefinition,
    DagsterInstance,
    MaterializeResult,
    SensorDefinition,
    asset,
    asset_check,
    build_sensor_context,
    materialize,
)
from sqlalchemy import create_engine, text

from orchestration.config import OrchestrationSettings
from orchestration.instance import prepare_dagster_home
from orchestration.sensors import build_alert_sensors
from tests.support.webhook import WebhookReceiver

# Long enough for a loaded CI machine; the tests wait on events, never on the clock.
DEADLINE_SECONDS = 120
# Far more ticks than any test needs: a sensor that never settles fails instead of hanging.
MAX_TICKS = 50


@asset
def probe() -> None:
    """A tiny asset the checks below look at."""


@asset(deps=[probe])
def probe_report() -> None:
    """Downstream of `probe`: a failed blocking check on `probe` keeps it from running."""


@asset_check(asset=probe)
def rows_match_source() -> AssetCheckResult:
    return AssetCheckResult(passed=False, description="2 rows missing\nsecond line")


@asset_check(asset=probe)
def ids_are_unique() -> AssetCheckResult:
    return AssetCheckResult(passed=True)


@asset_check(asset=probe, blocking=True)
def keys_are_present() -> AssetCheckResult:
    return AssetCheckResult(passed=False, metadata={"dagster_dbt/failed_row_count": 3})


@pytest.fixture(params=["sqlite", "postgres"])
def instance(
    request: pytest.FixtureRequest,
    database_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[DagsterInstance]:
    """A real instance of the storage Pulse's instance files configure, in a fresh DAGSTER_HOME.

    The PostgreSQL storage's schema `dagster` is the test database's, which other tests'
    runs share: it starts empty here, so no earlier test's run can end in this one."""
    if request.param == "postgres":
        engine = create_engine(database_url)
        try:
            with engine.begin() as connection:
                connection.execute(text("drop schema if exists dagster cascade"))
        finally:
            engine.dispose()
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster"))
    monkeypatch.setenv("PULSE_DAGSTER_STORAGE", request.param)
    monkeypatch.setenv("PULSE_DAGSTER_PG_URL", "")  # restored after the test
    prepare_dagster_home()
    with DagsterInstance.get() as instance:
        yield instance


@pytest.fixture
def check_sensor(webhook: WebhookReceiver) -> SensorDefinition:
    # Two runs per tick, so the runs of one test take several ticks to read.
    settings = OrchestrationSettings(alert_webhook_url=webhook.url, alert_webhook_attempts=1)
    sensors = build_alert_sensors(settings, runs_per_tick=2)
    return next(sensor for sensor in sensors if sensor.name == "check_failure_alert")


class Daemon:
    """Evaluates a sensor tick after tick, carrying the cursor, as the sensor daemon does."""

    def __init__(self, sensor: SensorDefinition, instance: DagsterInstance) -> None:
        self.sensor = sensor
        self.instance = instance
        self.cursor: str | None = None
        self.ticks = 0

    def tick(self) -> None:
        result = self.sensor.evaluate_tick(
            build_sensor_context(instance=self.instance, cursor=self.cursor)
        )
        self.cursor = result.cursor
        self.ticks += 1

    def tick_until_settled(self) -> None:
        """Tick until a tick moves the cursor no further (everything recorded has been read)."""
        for _ in range(MAX_TICKS):
            before = self.cursor
            self.tick()
            if self.cursor == before:
                return
        raise AssertionError(f"the sensor's cursor still moved after {MAX_TICKS} ticks")


def run(instance: DagsterInstance, assets: Sequence[AssetsDefinition]) -> str:
    result = materialize(assets, instance=instance, raise_on_error=False)
    return result.run_id


def alerted(webhook: WebhookReceiver) -> Counter[tuple[str, str]]:
    """(run id, check name) of every check alert the webhook received, with repeats."""
    received: Counter[tuple[str, str]] = Counter()
    for body in webhook.bodies:
        fields = {field["title"]: field["value"] for field in body["attachments"][0]["fields"]}  # type: ignore[index]
        received[(fields["run_id"], fields["check"])] += 1
    return received


def logged(caplog: pytest.LogCaptureFixture) -> Counter[tuple[str, str]]:
    """(run id, check name) of every check alert log line, with repeats."""
    lines = (json.loads(record.getMessage()) for record in caplog.records)
    return Counter(
        (line["run_id"], line["check"]) for line in lines if line["kind"] == "check_failure"
    )


def test_every_failed_check_is_alerted_once_across_ticks(
    instance: DagsterInstance,
    check_sensor: SensorDefinition,
    webhook: WebhookReceiver,
    caplog: pytest.LogCaptureFixture,
) -> None:
    daemon = Daemon(check_sensor, instance)
    # Whatever the instance held before (the PostgreSQL schema is the test database's) is
    # read first; only what this test records counts.
    daemon.tick_until_settled()
    webhook.bodies.clear()

    with caplog.at_level(logging.ERROR, logger="pulse.alerts"):
        passing = run(instance, [probe, ids_are_unique])
        one_failed = run(instance, [probe, rows_match_source, ids_are_unique])
        daemon.tick()
        daemon.tick()
        # A failed blocking check fails the run: its alert comes with a failed run.
        blocked = run(instance, [probe, probe_report, keys_are_present])
        two_failed = run(instance, [probe, rows_match_source, keys_are_present])
        also_failed = run(instance, [probe, rows_match_source])
        daemon.tick_until_settled()

    expected = Counter(
        {
            (one_failed, "rows_match_source"): 1,
            (blocked, "keys_are_present"): 1,
            (two_failed, "rows_match_source"): 1,
            (two_failed, "keys_are_present"): 1,
            (also_failed, "rows_match_source"): 1,
        }
    )
    assert passing not in {run_id for run_id, _ in alerted(webhook)}
    assert alerted(webhook) == expected
    assert logged(caplog) == expected
    # The message says what failed: the check's description, or dbt's failing row count.
    descriptions = [
        field["value"]
        for body in webhook.bodies
        for field in body["attachments"][0]["fields"]  # type: ignore[index]
        if field["title"] == "description"
    ]
    assert set(descriptions) == {"2 rows missing", "3 failing row(s)"}


@asset(check_specs=[AssetCheckSpec("matches_yesterday", asset="early")])
def early() -> MaterializeResult:
    return MaterializeResult(
        check_results=[AssetCheckResult(check_name="matches_yesterday", passed=False)]
    )


def test_a_check_that_fails_while_its_run_goes_on_is_alerted_once(
    instance: DagsterInstance,
    check_sensor: SensorDefinition,
    webhook: WebhookReceiver,
) -> None:
    reached = threading.Event()
    release = threading.Event()

    @asset(deps=[early])
    def late() -> None:
        # `early` and its failed check are recorded; hold the run open until the test says.
        reached.set()
        assert release.wait(DEADLINE_SECONDS), "the test never released the run"

    daemon = Daemon(check_sensor, instance)
    daemon.tick_until_settled()
    webhook.bodies.clear()

    run_ids: list[str] = []
    worker = threading.Thread(target=lambda: run_ids.append(run(instance, [early, late])))
    worker.start()
    try:
        assert reached.wait(DEADLINE_SECONDS), "the run never reached its second step"
        daemon.tick()
        daemon.tick()
    finally:
        release.set()
        worker.join(DEADLINE_SECONDS)
    assert not worker.is_alive()
    daemon.tick_until_settled()

    [run_id] = run_ids
    assert alerted(webhook) == Counter({(run_id, "matches_yesterday"): 1})
