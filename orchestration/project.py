"""The dbt project as Dagster sees it: one `DbtProject`, and the environment dbt runs in.

dbt's profile reads its connection from the environment that Pulse's settings
derive from DATABASE_URL (embedded server included), so every dbt call made here
runs inside `applied_dbt_environment()` (pulse/dbt_env.py).

The definitions are built from dbt's manifest, so importing this module makes sure
it exists and matches the project: `dagster dev` parses the project on every load
(`prepare_if_dev`); any other command that loads the code location
(`dagster-webserver -w workspace.yaml`, `dagster-daemon run`, `dagster definitions
validate`, a run's worker process) parses it when it is missing or older than a
file of the project, so a fresh checkout or a deploy needs no separate step.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from dagster_dbt import DbtProject

from pulse.dbt_env import DBT_PROJECT_DIR, applied_dbt_environment

logger = logging.getLogger("pulse.orchestration")

pulse_dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR)
DBT_LOGS_DIR = DBT_PROJECT_DIR / "logs"


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
    generated = {pulse_dbt_project.project_dir / pulse_dbt_project.target_path, DBT_LOGS_DIR}
    for folder, subfolders, files in os.walk(DBT_PROJECT_DIR):
        # dbt's own output is not part of the project (and grows with every run).
        subfolders[:] = [name for name in subfolders if Path(folder, name) not in generated]
        if any(Path(folder, name).stat().st_mtime > built for name in files):
            return True
    return False


class ManifestUnavailableError(RuntimeError):
    """No dbt manifest exists and the project could not be parsed into one."""


def prepare_manifest_if_stale() -> None:
    """Parse the project when the manifest is missing or older than the project's files.

    When parsing fails and a manifest from an earlier parse exists, that one is kept and
    a warning logged: the code location keeps loading (schedules, sensors and their
    alerts go on), and the next `dbt build` reports the project's error in its run.
    Without any manifest there is nothing to load, and the error says so.
    """
    if not manifest_is_stale():
        return
    manifest = pulse_dbt_project.manifest_path
    existed = manifest.exists()
    try:
        prepare_manifest()
    except Exception as error:
        if not existed:
            raise ManifestUnavailableError(
                f"no dbt manifest at {manifest} and dbt could not parse {DBT_PROJECT_DIR}: "
                "fix the project, then run `make manifest` (or reload the code location). "
                f"dbt said: {error}"
            ) from error
        logger.warning(
            "dbt could not parse %s (%s); loading the previous manifest %s",
            DBT_PROJECT_DIR,
            error,
            manifest,
        )


if pulse_dbt_project.preparer.using_dagster_dev():
    prepare_manifest()
else:
    prepare_manifest_if_stale()
