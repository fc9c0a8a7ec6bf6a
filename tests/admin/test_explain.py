"""The rule restatement and the threshold file parsing, on edge values."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from ingest.segments.explain import PublishedFeatures, rule_checks
from ingest.segments.thresholds import current_thresholds, parse_thresholds

AS_OF = datetime(2026, 6, 1, tzinfo=UTC)
THRESHOLDS = current_thresholds()


def matched(deposit: int, idle_days: float, age_days: float) -> list[str]:
    features = PublishedFeatures(
        deposit_30d=Decimal(deposit),
        last_active_at=AS_OF - timedelta(days=idle_days),
        created_at=AS_OF - timedelta(days=age_days),
        as_of=AS_OF,
    )
    return [check["rule"] for check in rule_checks(features, THRESHOLDS) if check["matched"]]


def test_boundaries_match_the_sql() -> None:
    assert matched(1_000_000, 0, 100)[0] == "vip"  # >= threshold
    assert matched(999_999, 0, 100) == ["active"]
    assert matched(0, 30, 100)[0] == "dormant_long"  # idle exactly 30 days
    assert matched(0, 29.99, 100)[0] == "dormant_short"
    assert matched(0, 7, 100) == ["dormant_short"]
    assert matched(0, 1, 6.99) == ["new"]
    assert matched(0, 1, 7) == ["active"]  # signed up exactly 7 days ago: no longer new


def test_thresholds_come_from_the_dbt_project() -> None:
    assert THRESHOLDS.vip_min_deposit_30d == Decimal(1_000_000)
    assert THRESHOLDS.dormant_short_days == 7


def test_thresholds_nested_under_the_project_name(tmp_path: Path) -> None:
    project = tmp_path / "dbt_project.yml"
    project.write_text(
        "vars:\n  pulse:\n    pulse__vip_min_deposit_30d: 5\n    pulse__vip_window_days: 1\n"
        "    pulse__dormant_long_days: 3\n    pulse__dormant_short_days: 2\n"
        "    pulse__new_user_days: 1\n"
    )
    assert parse_thresholds(project).vip_min_deposit_30d == Decimal(5)
    project.write_text("vars:\n  pulse__vip_min_deposit_30d: 5\n")
    with pytest.raises(ValueError, match="pulse__vip_window_days"):
        parse_thresholds(project)
