"""Schedules evaluate to the right run requests; cron and time zone come from the environment."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from dagster import RunRequest, ScheduleDefinition, build_schedule_context
from dagster._utils.schedules import cron_string_iterator

from orchestration.config import OrchestrationSettings
from orchestration.instance import STORAGE_FILES
from orchestration.schedules import build_schedules

SEOUL = ZoneInfo("Asia/Seoul")


def by_name(settings: OrchestrationSettings) -> dict[str, ScheduleDefinition]:
    return {schedule.name: schedule for schedule in build_schedules(settings)}


def run_request_at(schedule: ScheduleDefinition, when: datetime) -> RunRequest:
    data = schedule.evaluate_tick(build_schedule_context(scheduled_execution_time=when))
    assert data.run_requests is not None and len(data.run_requests) == 1
    return data.run_requests[0]


def next_ticks(schedule: ScheduleDefinition, start: datetime, count: int) -> list[datetime]:
    ticks = cron_string_iterator(
        start.timestamp(), schedule.cron_schedule, schedule.execution_timezone or "UTC"
    )
    return [next(ticks) for _ in range(count)]


def test_default_incremental_refresh_every_15_minutes_with_tick_time_as_as_of() -> None:
    schedule = by_name(OrchestrationSettings())["incremental_refresh"]
    start = datetime(2026, 11, 2, 10, 1, tzinfo=SEOUL)
    assert [tick.strftime("%H:%M") for tick in next_ticks(schedule, start, 3)] == [
        "10:15",
        "10:30",
        "10:45",
    ]
    tick = datetime(2026, 11, 2, 10, 15, tzinfo=SEOUL)
    request = run_request_at(schedule, tick)
    assert schedule.job_name == "segment_refresh"
    config = request.run_config["ops"]["pulse_dbt_models"]["config"]
    assert config == {"full_refresh": False, "as_of": tick.isoformat()}


def test_default_daily_full_refresh_at_three_in_seoul() -> None:
    schedule = by_name(OrchestrationSettings())["daily_full_refresh"]
    start = datetime(2026, 11, 2, 12, 0, tzinfo=ZoneInfo("UTC"))
    first, second = next_ticks(schedule, start, 2)
    # 03:00 in Seoul is 18:00 UTC the day before.
    assert first.astimezone(ZoneInfo("UTC")) == datetime(2026, 11, 2, 18, 0, tzinfo=ZoneInfo("UTC"))
    assert (second - first).total_seconds() == 86_400
    request = run_request_at(schedule, first)
    assert schedule.job_name == "segment_full_refresh"
    assert request.run_config["ops"]["pulse_dbt_models"]["config"]["full_refresh"] is True


def test_crons_and_time_zone_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PULSE_INCREMENTAL_CRON", "*/5 * * * *")
    monkeypatch.setenv("PULSE_FULL_REFRESH_CRON", "30 4 * * *")
    monkeypatch.setenv("PULSE_SCHEDULE_TIMEZONE", "UTC")
    schedules = by_name(OrchestrationSettings())
    assert schedules["incremental_refresh"].cron_schedule == "*/5 * * * *"
    assert schedules["daily_full_refresh"].cron_schedule == "30 4 * * *"
    assert schedules["daily_full_refresh"].execution_timezone == "UTC"


@pytest.mark.parametrize("storage", sorted(STORAGE_FILES))
def test_instance_files_queue_refreshes_one_at_a_time_without_telemetry(storage: str) -> None:
    import yaml

    config = yaml.safe_load(STORAGE_FILES[storage].read_text())
    assert config["telemetry"] == {"enabled": False}
    limits = config["concurrency"]["runs"]["tag_concurrency_limits"]
    assert {"key": "pulse/refresh", "limit": 1} in limits
