"""dbt as every part of Pulse runs it: the same database, the venv's executable, the
project's vars.

`dbt_project/profiles.yml` reads its connection from `PULSE_DB_*` variables; this
module fills them from Pulse's settings (`DATABASE_URL`, or the embedded
PostgreSQL when it is unset), so one setting configures the API, Alembic and dbt.
`pulse dbt ...` (`run_dbt`) runs any dbt command that way.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from pulse.database_url import libpq_params
from pulse.settings import PROJECT_ROOT, child_environment

DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"
DBT_PROJECT_FILE = DBT_PROJECT_DIR / "dbt_project.yml"

# The segment declaration analysts own: an ordered list of name, `when`, description.
SEGMENTS_VAR = "pulse__segments"

# dbt lives next to the interpreter running Pulse (the project's venv), so it is
# found even when the venv's bin directory is not on PATH (cron, services).
DBT_EXECUTABLE = Path(sys.executable).parent / "dbt"

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

USAGE = """\
Run dbt against Pulse's database: `pulse dbt build [dbt arguments...]`.

The connection comes from the same settings as the API (`DATABASE_URL`, or the
embedded PostgreSQL), so analysts never edit a profile. Any dbt command works:

    pulse dbt build
    pulse dbt build --vars '{pulse__as_of: "2026-11-01T00:00:00Z"}'
    pulse dbt source freshness
"""


def dbt_environment() -> dict[str, str]:
    """Variables to add to the environment of any dbt invocation.

    Returns the connection (`PULSE_DB_HOST`, `PULSE_DB_PORT`, `PULSE_DB_USER`,
    `PULSE_DB_PASSWORD`, `PULSE_DB_NAME`), `DBT_PROFILES_DIR` and
    `DBT_PROJECT_DIR`, and `PGOPTIONS` with the session settings of dbt's
    connections (`DBT_SESSION_OPTIONS`, after any the caller set). A child process
    takes `dbt_process_environment()`; this process `applied_dbt_environment()`.
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


def dbt_process_environment(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The whole environment of a dbt child process: this one's, dbt's, then `extra`."""
    return child_environment({**dbt_environment(), **(extra or {})})


@contextmanager
def applied_dbt_environment(extra: dict[str, str] | None = None) -> Iterator[None]:
    """Apply dbt's environment (plus `extra`, and dbt's folder first on PATH) to this
    process for the block: for dbt run in process (dagster-dbt's manifest parse)."""
    wanted = {
        **dbt_environment(),
        **(extra or {}),
        "PATH": os.pathsep.join([str(DBT_EXECUTABLE.parent), os.environ.get("PATH", "")]),
    }
    previous = {name: os.environ.get(name) for name in wanted}
    os.environ.update(wanted)
    try:
        yield
    finally:
        for name, value in previous.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def project_vars() -> dict[str, Any]:
    """The vars of `dbt_project.yml` as written there (the segment declaration included)."""
    import yaml  # imported here: only readers of the project file need it

    vars_: dict[str, Any] = yaml.safe_load(DBT_PROJECT_FILE.read_text())["vars"]
    return vars_


def run_dbt(arguments: list[str]) -> int:
    """`pulse dbt ARGS...`: dbt with Pulse's connection, in the project; dbt's exit code."""
    if not arguments:
        print(USAGE)
        return 2
    # The dbt next to this interpreter: the venv's, even when the venv is not activated.
    dbt = str(DBT_EXECUTABLE) if DBT_EXECUTABLE.exists() else shutil.which("dbt") or "dbt"
    completed = subprocess.run(
        [dbt, *arguments], cwd=DBT_PROJECT_DIR, env=dbt_process_environment(), check=False
    )
    return completed.returncode
