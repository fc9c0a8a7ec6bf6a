"""The event-driven refresh and the lag it answers, on real instances and the test database.

One full refresh publishes the seeded data first; each test then stores what it needs
after the published run's `as_of` (and removes it again), ticks the sensors as the
daemon ticks them, and reads `/metrics` from the real app.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from dagster import (
    DagsterInstance,
    DagsterRun,
    DagsterRunStatus,
    SensorDefinition,
    build_sensor_context,
)
from dagster._core.definitions.sensor_definition import SensorExecutionData
from dagster._core.remote_origin import (
    InProcessCodeLocationOrigin,
    RemoteJobOrigin,
    RemoteRepositoryOrigin,
)
from dagster._core.types.loadable_target_origin import LoadableTargetOrigin
from dagster._core.utils import make_new_run_id
from sqlalchemy import Engine, text

from orchestration.assets.dbt import REFRESH_LOCK
from orchestration.config import OrchestrationSettings
from orchestration.definitions import defs
from orchestration.event_refresh import (
    LAG_TAG,
    REASON_TAG,
    TRIGGER_TAG,
    build_event_refresh_sensor,
)
from orchestration.resources import PulseDatabase
from orchestration.segment_lag import build_lag_alert_sensor
from tests.support.dagster_instances import STORAGES, pulse_instance
from tests.support.waiting import wait_until
from tests.support.webhook import WebhookReceiver

QUIET = {"loggers": {"console": {"config": {"log_level": "ERROR"}}}}
DEADLINE_SECONDS = 60


@pytest.fixture(scope="module")
def published_as_of(seeded_database: Engine) -> datetime:
    """Publish the seeded data with a full refresh; the published run's as_of."""
    with DagsterInstance.ephemeral() as instance:
        result = defs.resolve_job_def("segment_full_refresh").execute_in_process(
            run_config=QUIET, instance=instance, raise_on_error=False
        )
    assert result.success
    with seeded_database.connect() as connection:
        as_of = connection.scalar(text("select max(as_of) from analytics.segment_catalogue"))
    assert isinstance(as_of, datetime)
    return as_of


def remove_unpublished(engine: Engine, as_of: datetime) -> None:
    with engine.begin() as connection:
        for table in ("activity_events", "ranking_snapshots"):
            connection.execute(
                text(f"delete from app.{table} where received_at > :as_of"), {"as_of": as_of}
            )


@pytest.fixture
def quiet(seeded_database: Engine, published_as_of: datetime) -> Iterator[datetime]:
    """Nothing stored after the published run; whatever the test stores is removed after it."""
    remove_unpublished(seeded_database, published_as_of)
    yield published_as_of
    remove_unpublished(seeded_database, published_as_of)


@pytest.fixture(params=STORAGES)
def instance(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[DagsterInstance]:
    with pulse_instance(request.param, tmp_path / "dagster", monkeypatch) as instance:
        # The PostgreSQL storage is shared with other tests: start without their refreshes.
        for job_name in ("segment_refresh", "segment_full_refresh"):
            for record in instance.get_run_records():
                if record.dagster_run.job_name == job_name:
                    instance.delete_run(record.dagster_run.run_id)
        yield instance


def player(engine: Engine) -> int:
    with engine.connect() as connection:
        user_id = connection.scalar(text("select min(id) from app.users"))
    assert isinstance(user_id, int)
    return user_id


def store_event(engine: Engine, user_id: int, received_at: datetime | None = None) -> None:
    """An event stored now (or with the given received_at), as the ingest service stores it."""
    with engine.begin() as connection:
        connection.execute(
            text(
                "insert into app.activity_events "
                "(event_id, user_id, event_type, occurred_at, received_at) "
                "values (:event_id, :user_id, 'dice_play', "
                "coalesce(:at, now()), coalesce(:at, now()))"
            ),
            {"event_id": uuid.uuid4(), "user_id": user_id, "at": received_at},
        )


def store_deposit(engine: Engine, user_id: int, received_at: datetime) -> None:
    with engine.begin() as connection:
        connection.execute(
            text(
                "insert into app.ranking_snapshots "
                "(user_id, deposit_amount, updated_at, received_at) "
                "values (:user_id, 12345, :at, :at)"
            ),
            {"user_id": user_id, "at": received_at},
        )


def tick(
    sensor: SensorDefinition, instance: DagsterInstance, cursor: str | None = None
) -> SensorExecutionData:
    context = build_sensor_context(
        instance=instance, cursor=cursor, resources={"database": PulseDatabase()}
    )
    return sensor.evaluate_tick(context)


def refresh_sensor(**settings: Any) -> SensorDefinition:
    return build_event_refresh_sensor(
        OrchestrationSettings(**{"pulse_refresh_min_interval_seconds": 0, **settings})
    )


def add_refresh_run(instance: DagsterInstance, job_name: str, status: DagsterRunStatus) -> str:
    """A run record of `job_name` in `status`, as the daemon leaves one (queued runs carry
    the code location they are to be launched from)."""
    run_id = make_new_run_id()
    origin = RemoteJobOrigin(
        repository_origin=RemoteRepositoryOrigin(
            code_location_origin=InProcessCodeLocationOrigin(
                LoadableTargetOrigin(module_name="orchestration.definitions", attribute="defs")
            ),
            repository_name="__repository__",
        ),
        job_name=job_name,
    )
    instance.add_run(
        DagsterRun(job_name=job_name, run_id=run_id, status=status, remote_job_origin=origin)
    )
    return run_id


def database_now(engine: Engine) -> datetime:
    with engine.connect() as connection:
        now = connection.scalar(text("select clock_timestamp()"))
    assert isinstance(now, datetime)
    return now


def wait_until_past(engine: Engine, moment: datetime) -> None:
    """Wait (with a deadline) until the database's clock is past `moment`."""
    wait_until(
        lambda: database_now(engine) > moment,
        DEADLINE_SECONDS,
        f"the database's clock passing {moment}",
        interval=0.2,
    )


def test_nothing_new_since_the_published_run_skips(
    quiet: datetime, instance: DagsterInstance
) -> None:
    result = tick(refresh_sensor(), instance)
    assert not result.run_requests
    assert result.skip_message is not None
    assert result.skip_message.startswith("nothing new since the published run")


def test_a_new_event_requests_an_incremental_refresh_with_its_reason(
    quiet: datetime, instance: DagsterInstance, seeded_database: Engine
) -> None:
    user_id = player(seeded_database)
    store_event(seeded_database, user_id)
    store_deposit(seeded_database, user_id, database_now(seeded_database))

    result = tick(refresh_sensor(), instance)

    assert result.skip_message is None
    assert result.run_requests is not None and len(result.run_requests) == 1
    [request] = result.run_requests
    assert request.tags[TRIGGER_TAG] == "event_refresh"
    reason = request.tags[REASON_TAG]
    assert "activity events" in reason and "deposit snapshots" in reason
    assert quiet.isoformat() in reason
    assert float(request.tags[LAG_TAG]) >= 0
    # Evaluated at the run's start (no as_of), incrementally.
    assert request.run_config["ops"]["pulse_dbt_models"]["config"] == {"full_refresh": False}


@pytest.mark.parametrize(
    ("job_name", "status"),
    [
        ("segment_refresh", DagsterRunStatus.QUEUED),
        ("segment_refresh", DagsterRunStatus.STARTED),
        ("segment_full_refresh", DagsterRunStatus.STARTING),
    ],
)
def test_a_refresh_queued_or_running_skips(
    quiet: datetime,
    instance: DagsterInstance,
    seeded_database: Engine,
    job_name: str,
    status: DagsterRunStatus,
) -> None:
    store_event(seeded_database, player(seeded_database))
    run_id = add_refresh_run(instance, job_name, status)

    result = tick(refresh_sensor(), instance)

    assert not result.run_requests
    assert result.skip_message is not None and run_id in result.skip_message
    # Once that run has ended, the event is still new and the next tick asks for a run.
    instance.delete_run(run_id)
    assert tick(refresh_sensor(), instance).run_requests


def test_a_refresh_holding_the_lock_outside_the_instance_skips(
    quiet: datetime, instance: DagsterInstance, seeded_database: Engine
) -> None:
    store_event(seeded_database, player(seeded_database))
    with PulseDatabase().exclusive(REFRESH_LOCK):
        result = tick(refresh_sensor(), instance)
    assert not result.run_requests
    assert result.skip_message is not None and "refresh lock" in result.skip_message
    assert tick(refresh_sensor(), instance).run_requests


def test_switched_off_skips_although_something_is_new(
    quiet: datetime, instance: DagsterInstance, seeded_database: Engine
) -> None:
    store_event(seeded_database, player(seeded_database))
    result = tick(refresh_sensor(pulse_event_refresh_enabled=False), instance)
    assert not result.run_requests
    assert result.skip_message is not None
    assert "PULSE_EVENT_REFRESH_ENABLED=false" in result.skip_message


def test_after_a_failed_refresh_the_sensor_asks_again_within_the_rate_cap(
    quiet: datetime, instance: DagsterInstance, seeded_database: Engine
) -> None:
    store_event(seeded_database, player(seeded_database))
    # A real refresh that fails: another refresh holds the lock, so it publishes nothing.
    with PulseDatabase().exclusive(REFRESH_LOCK):
        failed = defs.resolve_job_def("segment_refresh").execute_in_process(
            run_config=QUIET, instance=instance, raise_on_error=False
        )
    assert not failed.success
    with seeded_database.connect() as connection:
        published = connection.scalar(text("select max(as_of) from analytics.segment_catalogue"))
    assert published == quiet

    capped = tick(refresh_sensor(pulse_refresh_min_interval_seconds=3600), instance)
    assert not capped.run_requests
    assert capped.skip_message is not None
    assert capped.skip_message.startswith("rate cap: the latest refresh was requested")
    assert "activity events" in capped.skip_message

    again = tick(refresh_sensor(pulse_refresh_min_interval_seconds=0), instance)
    assert again.run_requests is not None and len(again.run_requests) == 1


def gauge(exposition: str, name: str) -> float | None:
    match = re.search(rf"^{name} (\S+)$", exposition, re.MULTILINE)
    return float(match.group(1)) if match else None


@pytest.mark.anyio
async def test_metrics_report_the_age_of_the_oldest_unpublished_event_or_deposit(
    quiet: datetime, seeded_database: Engine, client: httpx.AsyncClient
) -> None:
    exposition = (await client.get("/metrics")).text
    assert gauge(exposition, "pulse_segment_lag_seconds") == 0.0
    assert gauge(exposition, "pulse_segment_published_as_of_seconds") == quiet.timestamp()

    user_id = player(seeded_database)
    deposit_at = quiet + timedelta(milliseconds=500)
    store_deposit(seeded_database, user_id, deposit_at)  # the oldest unpublished
    store_event(seeded_database, user_id, quiet + timedelta(seconds=1))
    store_event(seeded_database, user_id)
    wait_until_past(seeded_database, quiet + timedelta(seconds=2))

    before = database_now(seeded_database)
    exposition = (await client.get("/metrics")).text
    after = database_now(seeded_database)

    lag = gauge(exposition, "pulse_segment_lag_seconds")
    assert lag is not None
    assert (before - deposit_at).total_seconds() <= lag <= (after - deposit_at).total_seconds()


def test_the_lag_alert_fires_once_per_episode(
    quiet: datetime,
    instance: DagsterInstance,
    seeded_database: Engine,
    webhook: WebhookReceiver,
) -> None:
    settings = OrchestrationSettings(
        pulse_segment_lag_alert_seconds=1,
        alert_webhook_url=webhook.url,
        alert_webhook_attempts=1,
    )
    sensor = build_lag_alert_sensor(settings)
    user_id = player(seeded_database)

    first = tick(sensor, instance)
    assert "within the limit" in (first.skip_message or "")
    cursor = first.cursor

    store_event(seeded_database, user_id, quiet + timedelta(milliseconds=1))
    wait_until_past(seeded_database, quiet + timedelta(seconds=2))
    for _ in range(3):
        result = tick(sensor, instance, cursor)
        cursor = result.cursor
    assert len(webhook.bodies) == 1
    fields = {
        field["title"]: field["value"]
        for field in webhook.bodies[0]["attachments"][0]["fields"]  # type: ignore[index]
    }
    assert float(fields["lag_seconds"]) > 1
    assert fields["published_as_of"] == quiet.isoformat()
    [observation] = result.asset_events
    assert observation.metadata["lag_seconds"].value > 1  # type: ignore[union-attr]

    # Published (here: removed), the episode ends; the next excess is a new one.
    remove_unpublished(seeded_database, quiet)
    result = tick(sensor, instance, cursor)
    assert json.loads(result.cursor or "{}") == {"alerted_at": None}
    assert len(webhook.bodies) == 1
    store_event(seeded_database, user_id, quiet + timedelta(milliseconds=1))
    result = tick(sensor, instance, result.cursor)
    assert len(webhook.bodies) == 2
