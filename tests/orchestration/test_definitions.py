"""The code location loads, and its pieces are wired the way operators rely on."""

from __future__ import annotations

import json

import pytest
from dagster import AssetKey

from orchestration.dbt_args import dbt_as_of_environment, dbt_build_args, normalize_as_of
from orchestration.dbt_failures import failure_summary
from orchestration.definitions import defs


def test_definitions_load_with_jobs_schedules_and_sensors() -> None:
    repository = defs.get_repository_def()
    assert {job.name for job in repository.get_all_jobs()} >= {
        "segment_refresh",
        "segment_full_refresh",
        "freshness_checks",
        "segment_dry_run",
    }
    assert {schedule.name for schedule in repository.schedule_defs} == {
        "incremental_refresh",
        "daily_full_refresh",
        "freshness_checks_schedule",
    }
    assert {sensor.name for sensor in repository.sensor_defs} == {
        "run_failure_alert",
        "check_failure_alert",
        "event_refresh",
        "segment_lag_alert",
    }


def test_freshness_checks_never_start_dbt() -> None:
    # dbt runs under the refresh lock: a freshness run that started it would make a
    # refresh starting meanwhile fail as an overlap.
    job = defs.resolve_job_def("freshness_checks")
    steps = {node.name for node in job.graph.node_defs}
    assert "pulse_dbt_models" not in steps
    assert {"app__activity_events", "analytics__user_segment_user_segment_is_fresh"} <= steps


def test_lineage_reads_from_raw_tables_to_user_segment() -> None:
    graph = defs.get_repository_def().asset_graph
    user_segment = AssetKey(["analytics", "user_segment"])
    upstream = graph.upstream_key_iterator(user_segment)
    assert user_segment in graph.get_all_asset_keys()
    ancestors: set[AssetKey] = set()
    frontier = list(upstream)
    while frontier:
        key = frontier.pop()
        if key not in ancestors:
            ancestors.add(key)
            frontier.extend(graph.upstream_key_iterator(key))
    assert {AssetKey(["app", "activity_events"]), AssetKey(["app", "ranking_snapshots"])} <= (
        ancestors
    )
    # The raw tables are observable (Dagster records row counts), not dangling placeholders.
    assert graph.get(AssetKey(["app", "ranking_snapshots"])).is_observable


def test_dbt_tests_and_source_tests_are_asset_checks() -> None:
    check_keys = defs.get_repository_def().asset_graph.asset_check_keys
    by_asset: dict[str, set[str]] = {}
    for key in check_keys:
        by_asset.setdefault(key.asset_key.to_user_string(), set()).add(key.name)
    assert any("unique" in name for name in by_asset["analytics/user_activity"])
    assert any("not_null" in name for name in by_asset["app/users"])  # a source test
    assert "user_segment_is_fresh" in by_asset["analytics/user_segment"]
    assert "deposit_feed_is_fresh" in by_asset["app/ranking_snapshots"]


def test_refresh_jobs_carry_the_run_queue_tag_and_build_the_updates() -> None:
    updates = AssetKey(["analytics_candidate", "user_segment_updates"])
    for name in ("segment_refresh", "segment_full_refresh"):
        job = defs.resolve_job_def(name)
        assert job.tags["pulse/refresh"]
        # the published rows, the history and the change feed are written from them:
        # every refresh builds them
        assert updates in job.asset_layer.selected_asset_keys


def test_dbt_build_args_for_refreshes_and_dry_runs() -> None:
    refresh = ["build", "--exclude-resource-type", "unit_test"]
    assert dbt_build_args() == refresh
    assert dbt_build_args(full_refresh=True) == [*refresh, "--full-refresh"]
    dry = dbt_build_args(full_refresh=True, schema_prefix="dryrun_", select="+user_segment")
    assert dry[:8] == [
        *refresh,
        "--full-refresh",
        "--select",
        "+user_segment",
        "--indirect-selection",
        "cautious",
    ]
    assert json.loads(dry[-1]) == {"pulse__schema_prefix": "dryrun_"}
    # a proposed declaration replaces the one in dbt_project.yml for that run only
    proposed = [{"name": "ALL", "description": "Everyone."}]
    preview = dbt_build_args(schema_prefix="dryrun_", segments=proposed)
    assert json.loads(preview[-1]) == {
        "pulse__schema_prefix": "dryrun_",
        "pulse__segments": proposed,
    }


def test_an_invalid_declaration_is_reported_on_one_line_naming_its_entries() -> None:
    # as dbt reports a malformed entry (while parsing) and a refused `when` (the hook)
    parse_error = (
        "Compilation Error in model segment_catalogue (models/marts/segment_catalogue.sql)\n"
        "  invalid var pulse__segments:\n"
        "    entry 1 (vip): the name must match ^[A-Z][A-Z0-9_]*$\n"
        "    entry 3 (ACTIVE): the last entry is the fallback and must have no when\n"
        "  \n  > in macro pulse_segments (macros/pulse_segments.sql)"
    )
    assert failure_summary({}, [parse_error, parse_error]) == (
        "dbt build failed: invalid segment declaration: "
        "entry 1 (vip): the name must match ^[A-Z][A-Z0-9_]*$; "
        "entry 3 (ACTIVE): the last entry is the fallback and must have no when; "
        "nothing was built"
    )
    hook_failure = {
        "unique_id": "operation.pulse.pulse-on-run-start-0",
        "status": "error",
        "message": "pulse.on-run-start.0 failed, error:\n invalid var pulse__segments: "
        'entry 2 (LAPSED): its when does not compile on PostgreSQL: column "x" does not '
        "exist\nCONTEXT:  PL/pgSQL function inline_code_block line 8 at RAISE",
    }
    assert failure_summary({"results": [hook_failure]}) == (
        "dbt build failed: invalid segment declaration: entry 2 (LAPSED): its when does not "
        'compile on PostgreSQL: column "x" does not exist; nothing was built'
    )
    assert failure_summary({}) == "dbt build failed before running any node (see the run's logs)"


def test_as_of_reaches_dbt_through_the_environment_so_dbt_parses_partially() -> None:
    # --vars that change on every run would make dbt re-parse the whole project
    assert dbt_as_of_environment("2026-11-01T09:00:00+09:00") == {
        "PULSE_AS_OF": "2026-11-01 00:00:00+00:00",
        "PULSE_REPLAY": "",
    }
    # always set, so a value left in the process's environment never leaks into a run
    assert dbt_as_of_environment(None) == {"PULSE_AS_OF": "", "PULSE_REPLAY": ""}
    assert dbt_as_of_environment("2026-11-01", replay=True)["PULSE_REPLAY"] == "1"


def test_as_of_is_normalized_to_utc_and_rejects_garbage() -> None:
    assert normalize_as_of("2026-11-01T09:00:00+09:00") == "2026-11-01 00:00:00+00:00"
    assert normalize_as_of("2026-11-01T00:00:00") == "2026-11-01 00:00:00+00:00"
    with pytest.raises(ValueError, match="ISO-8601"):
        normalize_as_of("yesterday")
