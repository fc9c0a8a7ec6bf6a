"""Dagster's own commands load the code location from a checkout whose manifest is missing or old.

An operator starts `dagster-webserver -w workspace.yaml` (or the daemon) on a fresh
checkout, or after a deploy that changed the dbt project; nothing else has parsed it.
These tests do the same on a copy of the repository (never the shared
`dbt_project/target`): `dagster definitions validate -w workspace.yaml` loads the
workspace as the webserver does, then `dagster asset list` shows what it loaded.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from orchestration.project import pulse_dbt_project
from tests.support.checkout import copy_checkout, dagster_command

PROBE_MODEL = "checkout_probe"


def load_and_list_assets(checkout: Path, dagster_home: Path) -> list[str]:
    """Validate the workspace like an operator would, then list the loaded asset keys."""
    validated = dagster_command(
        checkout, dagster_home, "definitions", "validate", "-w", "workspace.yaml"
    )
    assert validated.returncode == 0, validated.stdout + validated.stderr
    listed = dagster_command(
        checkout, dagster_home, "asset", "list", "-m", "orchestration.definitions", "-a", "defs"
    )
    assert listed.returncode == 0, listed.stdout + listed.stderr
    return listed.stdout.split()


def test_a_fresh_checkout_without_a_manifest_loads_every_asset(tmp_path: Path) -> None:
    checkout = copy_checkout(tmp_path / "checkout")
    manifest = checkout / "dbt_project" / "target" / "manifest.json"
    assert not manifest.exists()

    assets = load_and_list_assets(checkout, tmp_path / "dagster")

    assert manifest.exists()
    assert {
        "analytics/user_activity",
        "analytics/user_segment",
        "analytics/segment_catalogue",
        "analytics_candidate/user_segment_updates",
    } <= set(assets)


def test_a_manifest_older_than_the_project_is_parsed_again(tmp_path: Path) -> None:
    checkout = copy_checkout(tmp_path / "checkout")
    # The manifest of an earlier parse (the suite's own), then a deploy adds a model.
    target = checkout / "dbt_project" / "target"
    target.mkdir()
    manifest = target / "manifest.json"
    shutil.copy2(pulse_dbt_project.manifest_path, manifest)
    (checkout / "dbt_project" / "models" / "marts" / f"{PROBE_MODEL}.sql").write_text(
        "select 1 as probe_id\n"
    )
    an_hour_ago = manifest.stat().st_mtime - 3600
    os.utime(manifest, (an_hour_ago, an_hour_ago))

    assets = load_and_list_assets(checkout, tmp_path / "dagster")

    assert f"analytics/{PROBE_MODEL}" in assets
    assert "analytics/user_segment" in assets


def break_the_project(checkout: Path) -> None:
    """A deploy with a model dbt cannot parse."""
    broken = checkout / "dbt_project" / "models" / "marts" / f"{PROBE_MODEL}.sql"
    broken.write_text("select * from {{ ref('no_such_model') }}\n")


def test_without_a_manifest_a_project_dbt_cannot_parse_fails_with_the_fix(tmp_path: Path) -> None:
    checkout = copy_checkout(tmp_path / "checkout")
    break_the_project(checkout)

    validated = dagster_command(
        checkout, tmp_path / "dagster", "definitions", "validate", "-w", "workspace.yaml"
    )

    output = validated.stdout + validated.stderr
    assert validated.returncode != 0, output
    assert "no_such_model" in output  # dbt's own message
    assert "then run `make manifest`" in output


def test_a_project_dbt_cannot_parse_keeps_the_previous_manifest_loaded(tmp_path: Path) -> None:
    checkout = copy_checkout(tmp_path / "checkout")
    target = checkout / "dbt_project" / "target"
    target.mkdir()
    manifest = target / "manifest.json"
    shutil.copy2(pulse_dbt_project.manifest_path, manifest)
    an_hour_ago = manifest.stat().st_mtime - 3600
    os.utime(manifest, (an_hour_ago, an_hour_ago))
    break_the_project(checkout)

    # Schedules and alert sensors stay up; the next dbt build reports the error in its run.
    assets = load_and_list_assets(checkout, tmp_path / "dagster")

    assert "analytics/user_segment" in assets
    assert f"analytics/{PROBE_MODEL}" not in assets
