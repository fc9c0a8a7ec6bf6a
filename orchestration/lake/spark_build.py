"""dbt on the Spark target outside a Dagster run (benchmarks, checks of a declaration).

The refresh on Spark (lake export, `dbt build --target spark`, load back, then the
updates and the publish gate on PostgreSQL) is the Dagster job's Spark path,
`orchestration/assets/spark.py`; `PUBLISH_SELECTION` is its last step. Here dbt runs in
its own process, so each invocation gets its own JVM, in a new Spark folder.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from orchestration.lake.spark_env import new_spark_dir, spark_environment
from pulse.dbt_env import DBT_EXECUTABLE, DBT_PROJECT_DIR, dbt_process_environment

# Built on PostgreSQL against the published rows and history, then published by the gate.
PUBLISH_SELECTION = "user_segment_updates"


class DbtFailed(RuntimeError):
    """A dbt invocation failed (the message ends with dbt's last lines of output)."""


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
