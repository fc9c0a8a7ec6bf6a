"""Growth curve of a full build: PostgreSQL against Spark (export + dbt on Spark + load back).

    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/postgres \\
        python -m bench.spark.growth --users 10000 100000

For each size: a new database on DATABASE_URL's server, the demo data, then timed
(1) `dbt run` on PostgreSQL (a full build of the models Spark builds too), (2) the
lake export, (3) `dbt run` on Spark (PULSE_SPARK_METHOD / PULSE_SPARK_HOST select
session or cluster), (4) the load back. Prints one line per size; the figures go
to docs/benchmarks.md.

`--database NAME` measures an existing database of that server instead (its data is
kept; its lake watermarks are reset so the export starts from scratch): the way to
compare the session and the cluster on the same 1M players without generating them
again for each.
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path

from sqlalchemy import create_engine, make_url, text

from orchestration.lake.export import export_lake
from orchestration.lake.load_back import load_marts
from orchestration.lake.spark_build import build_on_spark, run_dbt
from pulse.dbt_env import dbt_environment
from pulse.demo_data import generate


def measure(users: int, base_url: str, existing: str | None = None) -> dict[str, float]:
    name = existing or f"pulse_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(base_url, isolation_level="AUTOCOMMIT")
    if existing is None:
        with admin.connect() as connection:
            connection.execute(text(f'create database "{name}"'))
    url = make_url(base_url).set(database=name).render_as_string(hide_password=False)
    os.environ["DATABASE_URL"] = url
    work = Path(tempfile.mkdtemp(prefix="pulse-spark-bench-"))
    try:
        from alembic.config import main as alembic_main

        alembic_main(["upgrade", "head"])
        if existing is None:
            generate(url, users, 20.0, 2.5, 90, 0.42)
        engine = create_engine(url)
        with engine.begin() as connection:
            # a new lake folder per measurement: export everything again
            connection.execute(text("delete from app.lake_export_watermarks"))
        os.environ["PULSE_LAKE_DIR"] = str(work / "lake")
        figures: dict[str, float] = {}
        started = time.monotonic()
        # --full-refresh: with --database the models may exist from an earlier
        # measurement, and an incremental run is not the full build compared here
        run_dbt(
            [
                "run",
                "--full-refresh",
                "--exclude",
                "user_segment_updates",
                "--target-path",
                str(work / "pg"),
            ],
            target="postgres",
            extra_env=dbt_environment(),
        )
        figures["postgres"] = time.monotonic() - started
        started = time.monotonic()
        export_lake(engine, work / "lake", lag=timedelta(0))
        figures["export"] = time.monotonic() - started
        started = time.monotonic()
        build_on_spark(["run"], spark_dir=work / "spark", extra_env={})
        figures["spark"] = time.monotonic() - started
        started = time.monotonic()
        load_marts(engine, work / "spark")
        figures["load_back"] = time.monotonic() - started
        engine.dispose()
        return figures
    finally:
        shutil.rmtree(work, ignore_errors=True)
        if existing is None:
            with admin.connect() as connection:
                connection.execute(text(f'drop database "{name}" with (force)'))
        admin.dispose()


def count_users(base_url: str, database: str) -> int:
    url = make_url(base_url).set(database=database)
    engine = create_engine(url)
    with engine.connect() as connection:
        users = int(connection.scalar(text("select count(*) from app.users")))
    engine.dispose()
    return users


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--database", help="measure this existing database instead")
    arguments = parser.parse_args()
    base_url = os.environ["DATABASE_URL"]
    method = os.environ.get("PULSE_SPARK_METHOD", "session")
    if arguments.database:
        users = count_users(base_url, arguments.database)
        arguments.users = [users]
    for users in arguments.users:
        figures = measure(users, base_url, arguments.database)
        spark_total = figures["export"] + figures["spark"] + figures["load_back"]
        print(
            f"users={users:>9,}  postgres={figures['postgres']:7.1f}s  "
            f"spark[{method}]: export={figures['export']:6.1f}s build={figures['spark']:7.1f}s "
            f"load_back={figures['load_back']:6.1f}s total={spark_total:7.1f}s  "
            f"ratio={spark_total / figures['postgres']:5.1f}x",
            flush=True,
        )


if __name__ == "__main__":
    main()
