"""A copy of the repository's code location in a temporary folder, as a fresh checkout has it.

Tests that load the code location the way operators do (Dagster's own commands or
`pulse segment-users`, run from the checkout's root) use the copy, so they never
touch the shared `dbt_project/target` that the rest of the suite reads, and may edit the
copy as an analyst edits theirs. The copy has no dbt output (`target/`, `logs/`); Python
imports `pulse`, `orchestration` and `ingest` from the copy, because the command's
working directory (`python -m pulse ...`, Dagster's working directory) comes before the
project's editable install.
"""

from __future__ import annotations

import filecmp
import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from pulse.settings import PROJECT_ROOT

CODE_LOCATION_PARTS = (
    "workspace.yaml",
    "pyproject.toml",
    "pulse",
    "ingest",
    "orchestration",
    "dbt_project",
)
# What an operator's refresh needs: the code location, whose `pulse` package holds the
# command it runs.
REFRESH_PARTS = CODE_LOCATION_PARTS
GENERATED = ("target", "logs", "__pycache__", ".user.yml")
NOT_IN_A_CHECKOUT = shutil.ignore_patterns(*GENERATED)
BIN = Path(sys.executable).parent
# A safety net for a hung command, not a performance expectation.
COMMAND_TIMEOUT_SECONDS = 900


def copy_checkout(destination: Path, parts: Sequence[str] = CODE_LOCATION_PARTS) -> Path:
    """Copy `parts` of the checkout (default: what loading the code location needs) into
    `destination`; return it."""
    destination.mkdir(parents=True, exist_ok=True)
    for part in parts:
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


def files_differing_from_checkout(copy: Path, parts: Sequence[str]) -> list[str]:
    """The paths (relative, sorted) under `parts` that the copy added, removed or changed
    against the checkout; generated output (dbt's `target/` and `logs/`, bytecode) is
    left out."""

    def differences(left: Path, right: Path, prefix: str) -> list[str]:
        comparison = filecmp.dircmp(left, right, ignore=list(GENERATED))
        found = [f"{prefix}{name}" for name in comparison.left_only + comparison.right_only]
        found += [f"{prefix}{name}" for name in comparison.funny_files]
        _, mismatch, errors = filecmp.cmpfiles(left, right, comparison.common_files, shallow=False)
        found += [f"{prefix}{name}" for name in mismatch + errors]
        for name in comparison.common_dirs:
            found += differences(left / name, right / name, f"{prefix}{name}/")
        return found

    changed: list[str] = []
    for part in parts:
        original, copied = PROJECT_ROOT / part, copy / part
        if original.is_dir():
            changed += differences(original, copied, f"{part}/")
        elif not filecmp.cmp(original, copied, shallow=False):
            changed.append(part)
    return sorted(changed)


def run_segment_refresh(
    checkout: Path, dagster_home: Path, database_url: str, *args: str
) -> subprocess.CompletedProcess[str]:
    """`pulse segment-users` of `checkout`, as an operator runs it from that checkout:
    its own DAGSTER_HOME, the database in DATABASE_URL, nothing else of this process's
    dbt or as-of settings."""
    dagster_home.mkdir(parents=True, exist_ok=True)
    environment = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith("DBT_") and name != "PULSE_AS_OF"
    }
    environment.update(DATABASE_URL=database_url, DAGSTER_HOME=str(dagster_home))
    return subprocess.run(
        [sys.executable, "-m", "pulse", "segment-users", "--json", *args],
        cwd=checkout,
        env=environment,
        capture_output=True,
        text=True,
        timeout=COMMAND_TIMEOUT_SECONDS,
        check=False,
    )
