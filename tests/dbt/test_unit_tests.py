"""dbt's unit tests (the rule boundaries, resets, overrides, data after as_of).

Refreshes leave them out (`orchestration.dbt_args.dbt_build_args`): they check the
models' SQL against fixed inputs, so they run here, on every change of the code.
"""

from __future__ import annotations

from tests.support.dbt import RunDbt

UNIT_TESTS = {
    "user_segment_rule_boundaries",
    "user_segment_overrides_in_force_and_declared",
    "user_activity_ignores_data_after_as_of",
    "ranking_snapshot_increments_reset_then_recharge",
}


def test_every_unit_test_runs_and_passes(run_dbt: RunDbt) -> None:
    # unit tests read the column types of their inputs: the relations must exist
    run_dbt("run", "--empty", "--exclude", "user_segment+")
    outcome = run_dbt("test", "--select", "test_type:unit")
    unit_test_statuses = {
        name: status for name, status in outcome.statuses.items() if name in UNIT_TESTS
    }
    assert unit_test_statuses == {name: "pass" for name in UNIT_TESTS}
    # nothing else ran but the project's hooks (the segment check, the lake; the publish
    # gate, which publishes nothing on a run that built no updates)
    assert set(outcome.statuses) - UNIT_TESTS == {
        "pulse-on-run-start-0",
        "pulse-on-run-start-1",
        "pulse-on-run-end-0",
        "pulse-on-run-end-1",
    }
