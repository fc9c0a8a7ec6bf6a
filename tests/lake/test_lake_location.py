"""PULSE_LAKE_DIR: a folder or an object-store URL, the same place for the export and Spark.

The export with a `file://` URL is in test_export.py; Spark reading one end to end is
test_spark_equality.py (test_warehouse_switch.py gives it a plain folder).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import ValidationError

from orchestration.config import OrchestrationSettings
from orchestration.lake.location import LakeConfigurationError, parse_lake_location
from orchestration.lake.spark_env import spark_environment
from pulse.settings import PROJECT_ROOT


def test_a_folder_is_an_absolute_file_url_for_both_sides(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    location = parse_lake_location("lake/")
    assert location.url == location.spark_url == (tmp_path / "lake").as_uri()
    filesystem, root = location.filesystem()
    assert filesystem.type_name == "local"
    assert root == str(tmp_path / "lake")


@pytest.mark.parametrize(
    ("setting", "for_pyarrow", "for_spark"),
    [
        ("file:///srv/lake/", "file:///srv/lake", "file:///srv/lake"),
        # Hadoop's connector is s3a; pyarrow's is s3. The query is pyarrow's options.
        (
            "s3://pulse-lake/prod/?region=eu-west-1",
            "s3://pulse-lake/prod?region=eu-west-1",
            "s3a://pulse-lake/prod",
        ),
        ("S3A://pulse-lake/prod", "s3://pulse-lake/prod", "s3a://pulse-lake/prod"),
        ("gs://pulse-lake/prod", "gs://pulse-lake/prod", "gs://pulse-lake/prod"),
    ],
)
def test_object_store_urls_name_the_same_place_for_pyarrow_and_spark(
    setting: str, for_pyarrow: str, for_spark: str
) -> None:
    location = parse_lake_location(setting)
    assert (location.url, location.spark_url) == (for_pyarrow, for_spark)


@pytest.mark.parametrize(
    ("setting", "reason"),
    [
        ("ftp://files.example.com/lake", "unsupported scheme 'ftp'"),
        ("abfss://lake@account.dfs.core.windows.net/p", "unsupported scheme 'abfss'"),
        ("s3:///prod", "names no bucket"),
        ("file://lake/relative", "needs an absolute path"),
    ],
)
def test_an_unusable_lake_setting_is_a_configuration_error(setting: str, reason: str) -> None:
    with pytest.raises(LakeConfigurationError, match=f"PULSE_LAKE_DIR=.*{reason}"):
        parse_lake_location(setting)
    # the settings refuse it when read, so the code location fails to load with the reason
    with pytest.raises(ValidationError, match=reason):
        OrchestrationSettings(pulse_lake_dir=setting)


def test_spark_reads_the_lake_through_hadoops_scheme(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PULSE_LAKE_DIR", "s3://pulse-lake/prod?region=eu-west-1")
    # what dbt's on-run-start hook (macros/pulse_register_lake.sql) reads
    assert spark_environment(tmp_path / "spark")["PULSE_LAKE_DIR"] == "s3a://pulse-lake/prod"
    monkeypatch.setenv("PULSE_LAKE_DIR", str(tmp_path / "lake"))
    assert spark_environment(tmp_path / "spark")["PULSE_LAKE_DIR"] == (tmp_path / "lake").as_uri()


def test_segment_users_reports_a_bad_lake_setting_in_one_line() -> None:
    completed = subprocess.run(
        [sys.executable, "scripts/segment_users.py", "--dry-run"],
        cwd=PROJECT_ROOT,
        env={**os.environ, "PULSE_WAREHOUSE": "spark", "PULSE_LAKE_DIR": "ftp://host/lake"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert completed.returncode == 2
    assert completed.stdout == ""
    assert completed.stderr == (
        "segment_users.py: configuration error: PULSE_LAKE_DIR='ftp://host/lake': "
        "unsupported scheme 'ftp'; use a local path or a file://, s3://, s3a://, gs:// URL\n"
    )
