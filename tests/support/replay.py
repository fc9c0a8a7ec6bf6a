"""Demo data plus one hand-made player whose story the orchestration tests replay."""

from __future__ import annotations

import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, text

from pulse.settings import PROJECT_ROOT
from tests.support.tables import drop_dbt_schemas, truncate_app_tables

NOW = datetime.now(UTC)
# Signed up 60 days ago, played once 20 days ago, nothing since. Today DORMANT_SHORT;
# 15 days ago (5 days after playing) ACTIVE.
REPLAY_USER_ID = 900_001
REPLAY_SIGNUP = NOW - timedelta(days=60)
REPLAY_LAST_PLAY = NOW - timedelta(days=20)


def seed_demo_and_replay_player(engine: Engine) -> None:
    """From a clean slate (empty app tables, nothing published): 300 demo players and the
    replay player."""
    truncate_app_tables(engine)
    drop_dbt_schemas(engine)
    subprocess.run(
        [sys.executable, "scripts/generate_demo_data.py", "--users", "300"],
        cwd=PROJECT_ROOT,
        check=True,
        capture_output=True,
    )
    with engine.begin() as connection:
        connection.execute(
            text("insert into app.users (id, created_at, updated_at) values (:id, :at, :at)"),
            {"id": REPLAY_USER_ID, "at": REPLAY_SIGNUP},
        )
        connection.execute(
            text(
                "insert into app.activity_events "
                "(event_id, user_id, event_type, occurred_at, received_at) "
                "values (:event_id, :user_id, 'dice_play', :at, :at)"
            ),
            {"event_id": uuid.uuid4(), "user_id": REPLAY_USER_ID, "at": REPLAY_LAST_PLAY},
        )
