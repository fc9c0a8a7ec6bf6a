"""The environment dbt runs in: the same database as the rest of Pulse.

`dbt_project/profiles.yml` reads its connection from `PULSE_DB_*` variables; this
module fills them from Pulse's settings (`DATABASE_URL`, or the embedded
PostgreSQL when it is unset), so one setting configures the API, Alembic and dbt.
"""

from __future__ import annotations

import os

from ingest.config import PROJECT_ROOT
from ingest.database_url import libpq_params

DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"

# The session settings of dbt's connections (measured in docs/benchmarks.md):
# - jit=off: dbt's queries are planned from estimates that are often far off for
#   incremental runs (a few thousand rows estimated as a million); PostgreSQL then
#   spent seconds JIT-compiling queries that run in milliseconds;
# - work_mem=128MB: a full build aggregates 20M events into 1M per-user rows; with the
#   default 4MB the hash aggregates spilled 350 MB per worker and took twice as long;
# - maintenance_work_mem=256MB: each full build creates six indexes on 1M-row tables;
#   with the default 64MB the sorts spilled (2.2 s instead of 0.8 s for one of them);
# - TimeZone=UTC: every moment is computed in UTC whatever the server's default, as on
#   Spark.
DBT_SESSION_OPTIONS = "-c jit=off -c work_mem=128MB -c maintenance_work_mem=256MB -c TimeZone=UTC"


def dbt_environment() -> dict[str, str]:
    """Variables to add to the environment of any dbt invocation.

    Returns the connection (`PULSE_DB_HOST`, `PULSE_DB_PORT`, `PULSE_DB_USER`,
    `PULSE_DB_PASSWORD`, `PULSE_DB_NAME`), `DBT_PROFILES_DIR` and
    `DBT_PROJECT_DIR`, and `PGOPTIONS` with the session settings of dbt's
    connections (`DBT_SESSION_OPTIONS`, after any the caller set). Use it everywhere dbt runs, e.g.
    `subprocess.run([...], env={**os.environ, **dbt_environment()})`, or
    `os.environ.update(dbt_environment())` before building a Dagster
    `DbtCliResource(project_dir=str(DBT_PROJECT_DIR), profiles_dir=str(DBT_PROJECT_DIR))`.
    Resolving the connection starts the embedded PostgreSQL when `DATABASE_URL`
    is unset.
    """
    params = libpq_params()
    options = os.environ.get("PGOPTIONS", "")
    if DBT_SESSION_OPTIONS not in options:
        options = f"{options} {DBT_SESSION_OPTIONS}".strip()
    return {
        "PGOPTIONS": options,
        "PULSE_DB_HOST": params["host"],
        "PULSE_DB_PORT": params["port"],
        "PULSE_DB_USER": params["user"],
        "PULSE_DB_PASSWORD": params["password"],
        "PULSE_DB_NAME": params["dbname"],
        "DBT_PROFILES_DIR": str(DBT_PROJECT_DIR),
        "DBT_PROJECT_DIR": str(DBT_PROJECT_DIR),
    }
