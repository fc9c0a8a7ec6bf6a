"""The operator commands work as the first command on a database that was only migrated."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import create_engine, text

from pulse.settings import PROJECT_ROOT


def test_as_of_replay_is_a_valid_first_command(scratch_database: str, tmp_path: Path) -> None:
    environment = {
        **os.environ,
        "DATABASE_URL": scratch_database,
        "DAGSTER_HOME": str(tmp_path / "dagster"),
    }
    subprocess.run(
        [sys.executable, "-m", "alembic", "upgrade", "head"],
        cwd=PROJECT_ROOT,
        env=environment,
        check=True,
        capture_output=True,
    )
    engine = create_engine(scratch_database)
    signed_up = datetime.now(UTC) - timedelta(days=3)
    with engine.begin() as connection:
        connection.execute(
            text("insert into app.users (id, created_at, updated_at) values (7, :at, :at)"),
            {"at": signed_up},
        )
    as_of = (datetime.now(UTC) - timedelta(days=1)).replace(microsecond=0)

    completed = subprocess.run(
        [sys.executable, "scripts/segment_users.py", "--as-of", as_of.isoformat(), "--json"],
        cwd=PROJECT_ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
    )

    assert completed.returncode == 0, completed.stderr[-3000:]
    summary = json.loads(completed.stdout)
    assert summary["segments"] == {"NEW": 1}
    assert datetime.fromisoformat(summary["as_of"]) == as_of
    with engine.connect() as connection:
        history = connection.execute(
            text("select to_regclass('snapshots.user_segment_history') is not null")
        ).scalar_one()
    engine.dispose()
    # A replay is not the present: no membership history was started from it.
    assert not history
