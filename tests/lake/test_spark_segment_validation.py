"""On Spark, a `when` the engine cannot compile fails the run before anything is built,
and the error names the entry (macros/pulse_segments.sql, spark__pulse_validate_segments)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from orchestration.lake.spark_build import DbtFailed, build_on_spark
from tests.support.segments import declared_segments, segments_vars

pytestmark = pytest.mark.slow


@pytest.mark.parametrize(
    ("when", "explanation"),
    [("days_idle > 3", "days_idle"), ("deposit_30d >= >= 1", "PARSE_SYNTAX_ERROR")],
    ids=["unknown-column", "syntax-error"],
)
def test_a_when_spark_refuses_names_the_entry_and_builds_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, when: str, explanation: str
) -> None:
    monkeypatch.setenv("PULSE_LAKE_DIR", str(tmp_path / "lake"))
    entries = declared_segments()
    entries[1]["when"] = when

    with pytest.raises(DbtFailed) as failure:
        build_on_spark(
            ["build", "--vars", json.dumps(segments_vars(entries))],
            spark_dir=tmp_path / "spark",
            extra_env={},
        )

    message = str(failure.value)
    assert f"entry 2 ({entries[1]['name']}): its when does not compile on Spark" in message
    assert explanation in message
    assert not list((tmp_path / "spark").rglob("*.parquet"))
