"""Run dbt against Pulse's database: `python scripts/run_dbt.py build [dbt arguments...]`.

The connection comes from the same settings as the API (`DATABASE_URL`, or the
embedded PostgreSQL), so analysts never edit a profile. Any dbt command works:

    python scripts/run_dbt.py build
    python scripts/run_dbt.py build --vars '{pulse__as_of: "2026-11-01T00:00:00Z"}'
    python scripts/run_dbt.py source freshness
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ingest.dbt_env import DBT_PROJECT_DIR, dbt_environment  # noqa: E402


def main(arguments: list[str]) -> int:
    if not arguments:
        print(__doc__)
        return 2
    # The dbt next to this interpreter: the venv's, even when the venv is not activated.
    executable = Path(sys.executable).with_name("dbt")
    dbt = str(executable) if executable.exists() else shutil.which("dbt") or "dbt"
    completed = subprocess.run(
        [dbt, *arguments],
        cwd=DBT_PROJECT_DIR,
        env={**os.environ, **dbt_environment()},
        check=False,
    )
    return completed.returncode


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
