"""The environment dbt's `spark` target runs in (profiles.yml reads these variables).

A run gets its own folder (`PULSE_SPARK_DIR`, default a new folder under
`<PULSE_HOME>/spark/`) holding Spark's `spark-defaults.conf`, the Derby metastore and the
warehouse. Derby admits one process at a time, and every Spark build recreates its
tables from the lake, so nothing is shared between runs. Settings:

- PULSE_SPARK_METHOD: `session` (Spark inside the dbt process; default) or `thrift`
  (a Spark Thrift server in front of a cluster, at PULSE_SPARK_HOST:PULSE_SPARK_PORT;
  its own spark-defaults.conf must set the same warehouse folder, see
  `pulse spark-cluster`, orchestration/lake/spark_cluster.py).
- PULSE_SPARK_MASTER: the master of a session run (default `local[*]`).
- PULSE_LAKE_DIR: the lake the sources are read from, a folder or an object-store URL
  (`location.py`); dbt gets it as the URL Spark reads (`file:///...`, `s3a://...`).

All of them are fields of `OrchestrationSettings` (orchestration/config.py), read when a
run starts.
"""

from __future__ import annotations

import sys
import uuid
from pathlib import Path

from orchestration.config import current_orchestration_settings
from orchestration.lake.export import lake_dir

# The built marts (Spark's warehouse layout: <warehouse>/<database>.db/<table>).
MARTS_DATABASE = "analytics"


# Spark's own log: errors only, on stderr (its warnings about the local metastore are noise).
SPARK_LOG_CONFIG = """\
rootLogger.level = error
rootLogger.appenderRef.stderr.ref = console
appender.console.type = Console
appender.console.name = console
appender.console.target = SYSTEM_ERR
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = %d{yy/MM/dd HH:mm:ss} %p %c{1}: %m%n
"""


def new_spark_dir(name: str | None = None) -> Path:
    """A run's Spark folder under `<PULSE_HOME>/spark/` (`name`: the Dagster run id;
    default random)."""
    return current_orchestration_settings().spark_runs_dir / (name or uuid.uuid4().hex[:12])


def spark_defaults(spark_dir: Path) -> str:
    """spark-defaults.conf of a run: its metastore and warehouse, UTC, loopback driver."""
    pulse = current_orchestration_settings()
    settings = {
        "spark.master": pulse.pulse_spark_master,
        "spark.sql.warehouse.dir": (spark_dir / "warehouse").as_uri(),
        "spark.hadoop.javax.jdo.option.ConnectionURL": (
            f"jdbc:derby:;databaseName={spark_dir / 'metastore_db'};create=true"
        ),
        "spark.driver.extraJavaOptions": f"-Dderby.system.home={spark_dir}",
        "spark.sql.session.timeZone": "UTC",
        "spark.sql.parquet.outputTimestampType": "TIMESTAMP_MICROS",
        "spark.driver.host": "127.0.0.1",
        "spark.driver.bindAddress": "127.0.0.1",
        "spark.ui.enabled": "false",
        # dbt's JSON log lines share the output with Spark's; a progress bar written into
        # the middle of one would make it unreadable to Dagster (the model's result is lost).
        "spark.ui.showConsoleProgress": "false",
        # Two cores here: the default 200 shuffle partitions would be 200 tiny tasks per step.
        "spark.sql.shuffle.partitions": pulse.pulse_spark_shuffle_partitions,
        "spark.driver.memory": pulse.pulse_spark_driver_memory,
    }
    return "".join(f"{name} {value}\n" for name, value in settings.items())


def spark_environment(spark_dir: Path | None = None) -> dict[str, str]:
    """Variables to add to a dbt invocation with `--target spark` (creates the run folder)."""
    settings = current_orchestration_settings()
    spark_dir = spark_dir or Path(settings.pulse_spark_dir or new_spark_dir())
    conf_dir = spark_dir / "conf"
    conf_dir.mkdir(parents=True, exist_ok=True)
    (conf_dir / "spark-defaults.conf").write_text(spark_defaults(spark_dir))
    (conf_dir / "log4j2.properties").write_text(SPARK_LOG_CONFIG)
    return {
        "PULSE_SPARK_DIR": str(spark_dir),
        "PULSE_SPARK_METHOD": settings.pulse_spark_method,
        "PULSE_LAKE_DIR": lake_dir().spark_url,
        "SPARK_CONF_DIR": str(conf_dir),
        "SPARK_LOCAL_IP": "127.0.0.1",
        # the session's Python workers use this interpreter (the project's venv)
        "PYSPARK_PYTHON": sys.executable,
        "TZ": "UTC",
    }


def mart_folder(spark_dir: Path, table: str, database: str = MARTS_DATABASE) -> Path:
    """Where the Spark build left a mart's Parquet files: `database` is the mart's schema
    (`analytics`, `analytics_candidate`, with `dryrun_` before it in a dry run)."""
    warehouse = current_orchestration_settings().spark_warehouse_dir or spark_dir / "warehouse"
    return warehouse / f"{database}.db" / table
