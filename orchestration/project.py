"""The dbt project as Dagster sees it: one `DbtProject`, and the environment dbt runs in.

dbt's profile reads its connection from the environment that Pulse's settings
derive from DATABASE_URL (embedded server included), so every dbt call made here
runs inside `applied_dbt_environment()`. The manifest must exist before the definitions
load: `dagster dev` parses the project on load (`prepare_if_dev`), tests and CI
call `prepare_manifest()` first.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from dagster_dbt import DbtProject

from ingest.dbt_env import DBT_PROJECT_DIR, dbt_environment

pulse_dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR)

# dbt lives next to the interpreter running Dagster (the project's venv), so it is
# found even when the venv's bin directory is not on PATH (cron, services).
DBT_EXECUTABLE = Path(sys.executable).parent / "dbt"


@contextmanager
def applied_dbt_environment(extra: dict[str, str] | None = None) -> Iterator[None]:
    """Apply dbt's connection environment (plus `extra`) to this process for the block."""
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


def prepare_manifest() -> None:
    """Parse the dbt project into target/manifest.json (what the definitions load from)."""
    with applied_dbt_environment():
        pulse_dbt_project.preparer.prepare(pulse_dbt_project)


def manifest_is_stale() -> bool:
    """True when the manifest is missing or older than any file of the dbt project."""
    manifest = pulse_dbt_project.manifest_path
    if not manifest.exists():
        return True
    built = manifest.stat().st_mtime
    generated = {DBT_PROJECT_DIR / "target", DBT_PROJECT_DIR / "logs"}
    return any(
        path.is_file() and path.stat().st_mtime > built
        for path in DBT_PROJECT_DIR.rglob("*")
        if not any(folder in path.parents for folder in generated)
    )


def prepare_manifest_if_stale() -> None:
    """What scripts call before loading the definitions: parse only when the project changed."""
    if manifest_is_stale():
        prepare_manifest()


if pulse_dbt_project.preparer.using_dagster_dev():
    prepare_manifest()
