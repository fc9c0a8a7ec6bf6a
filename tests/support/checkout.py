"""A copy of the repository's code location in a temporary folder, as a fresh checkout has it.

Tests that load the code location the way operators do (Dagster's own commands, run
from the checkout's root) use the copy, so they never touch the shared
`dbt_project/target` that the rest of the suite reads. The copy has no dbt output
(`target/`, `logs/`); Python imports `orchestration` and `ingest` from the copy, because
the command's working directory comes before the project's editable install.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from ingest.config import PROJECT_ROOT

CODE_LOCATION_PARTS = ("workspace.yaml", "pyproject.toml", "ingest", "orchestration", "dbt_project")
NOT_IN_A_CHECKOUT = shutil.ignore_patterns("target", "logs", "__pycache__", ".user.yml")
BIN = Path(sys.executable).parent
# A safety net for a hung command, not a performance expectation.
COMMAND_TIMEOUT_SECONDS = 900


def copy_checkout(destination: Path) -> Path:
    """Copy what loading the code location needs into `destination`; return it."""
    destination.mkdir(parents=True, exist_ok=True)
    for part in CODE_LOCATION_PARTS:
        source = PROJECT_ROOT / part
        if source.is_dir():
            shutil.copytree(source, destination / part, ignore=NOT_IN_A_CHECKOUT)
        else:
            shutil.copy2(source, destination / part)
    return destination


def dagster_command(
    checkout: Path, dagster_home: Path, *args: str
) -> subprocess.CompletedProcess[str]:
    """Run the venv's `dagster` CLI from the checkout's root with its own DAGSTER_HOME."""
    dagster_home.mkdir(parents=True, exist_ok=True)
    instance_file = PROJECT_ROOT / "orchestration" / "instance" / "dagster.yaml"
    shutil.copy2(instance_file, dagster_home / "dagster.yaml")
    environment = {**os.environ, "DAGSTER_HOME": str(dagster_home)}
    environment.pop("DAGSTER_IS_DEV_CLI", None)  # not `dagster dev`: the production path
    return subprocess.run(
        [str(BIN / "dagster"), *args],
        cwd=checkout,
        env=environment,
        capture_output=True,
        text=True,
        timeout=COMMAND_TIMEOUT_SECONDS,
        check=False,
    )
