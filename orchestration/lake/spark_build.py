"""A refresh on the Spark warehouse, as plain functions (Dagster's assets and tests call them).

1. export the raw tables' new rows to the Parquet lake (`export.py`);
2. `dbt <command> --target spark`: the same models, reading the lake (a new Spark
   folder per run; dbt runs in its own process, so each run gets its own JVM);
3. load `user_activity` back into PostgreSQL, and `user_segment` and
   `segment_catalogue` as candidates (`load_back.py`);
4. on PostgreSQL, `dbt build` of the run's transitions (the loaded candidate against
   the published history, which lives on PostgreSQL); its on-run-end hook is the
   publish gate, as on the PostgreSQL path.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from sqlalchemy import Engine

from orchestration.lake.export import export_lake, lake_dir
from orchestration.lake.load_back import load_marts
from orchestration.lake.spark_env import new_spark_dir, spark_environment
from pulse.dbt_env import DBT_EXECUTABLE, DBT_PROJECT_DIR, dbt_process_environment

# Built on PostgreSQL against the published rows and history, then published by the gate.
PUBLISH_SELECTION = "user_segment_updates user_segment_transitions"


@dataclass
class SparkRefresh:
    exported: dict[str, int] = field(default_factory=dict)
    loaded: dict[str, int] = field(default_factory=dict)
    spark_dir: Path | None = None


class DbtFailed(RuntimeError):
    """A dbt step of the Spark refresh failed (its output is in the message's log path)."""


def publish_arguments(dbt_arguments: list[str]) -> list[str]:
    """`dbt build` of the updates and transitions on PostgreSQL (then the publish gate),
    with the refresh's vars."""
    arguments = ["build", "--select", PUBLISH_SELECTION]
    if "--vars" in dbt_arguments:
        position = dbt_arguments.index("--vars")
        arguments += dbt_arguments[position : position + 2]
    return arguments


def run_dbt(arguments: list[str], *, target: str, extra_env: dict[str, str]) -> None:
    completed = subprocess.run(
        [str(DBT_EXECUTABLE), *arguments, "--target", target],
        cwd=DBT_PROJECT_DIR,
        env=dbt_process_environment(extra_env),
        capture_output=True,
        text=True,
        check=False,
    )
    if completed.returncode != 0:
        tail = "\n".join(completed.stdout.splitlines()[-30:])
        raise DbtFailed(f"dbt {' '.join(arguments)} --target {target} failed:\n{tail}")


def build_on_spark(
    dbt_arguments: list[str], *, spark_dir: Path | None = None, extra_env: dict[str, str]
) -> Path:
    """Run a dbt command on the Spark target; returns the run's Spark folder."""
    spark_dir = spark_dir or new_spark_dir()
    environment = {**spark_environment(spark_dir), **extra_env}
    run_dbt(
        [
            *dbt_arguments,
            "--target-path",
            str(spark_dir / "target"),
            "--log-path",
            str(spark_dir / "logs"),
        ],
        target="spark",
        extra_env=environment,
    )
    return spark_dir


def refresh_on_spark(
    engine: Engine,
    dbt_arguments: list[str],
    *,
    lag: timedelta | None = None,
    spark_dir: Path | None = None,
    extra_env: dict[str, str] | None = None,
) -> SparkRefresh:
    """Export, build on Spark, load back, then the transitions and the publish on PostgreSQL.

    `dbt_arguments` are those of the PostgreSQL refresh (`build`, `--vars ...`);
    `--full-refresh` changes nothing on Spark, where every run rebuilds from the lake.
    """
    extra_env = extra_env or {}
    refresh = SparkRefresh()
    refresh.exported = export_lake(engine, lake_dir(), lag=lag)
    spark_arguments = [argument for argument in dbt_arguments if argument != "--full-refresh"]
    refresh.spark_dir = build_on_spark(spark_arguments, spark_dir=spark_dir, extra_env=extra_env)
    refresh.loaded = load_marts(engine, refresh.spark_dir)
    run_dbt(publish_arguments(dbt_arguments), target="postgres", extra_env=extra_env)
    return refresh
