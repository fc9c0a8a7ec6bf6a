"""Orchestration test fixtures: seeded raw tables, a Dagster instance, a webhook receiver."""

from __future__ import annotations

import subprocess
import sys
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from dagster import DagsterInstance
from sqlalchemy import Engine, text

from pulse.settings import PROJECT_ROOT
from tests.support.webhook import WebhookReceiver

NOW = datetime.now(UTC)
# A player whose story the as-of test replays: signed up 60 days ago, played once 20 days
# ago, nothing since. Today DORMANT_SHORT; 15 days ago (5 days after playing) ACTIVE.
REPLAY_USER_ID = 900_001
REPLAY_SIGNUP = NOW - timedelta(days=60)
REPLAY_LAST_PLAY = NOW - timedelta(days=20)


@pytest.fixture(scope="package")
def seeded_database(engine: Engine) -> Engine:
    """The session database with demo data plus one hand-made player (clean slate first)."""
    with engine.begin() as connection:
        connection.execute(
            text(
                "truncate app.segment_override_audit, app.segment_overrides, "
                "app.ranking_snapshots, app.external_ranking_data, app.activity_events, "
                "app.users restart identity cascade"
            )
        )
        connection.execute(text("drop schema if exists analytics cascade"))
        connection.execute(text("drop schema if exists snapshots cascade"))
        connection.execute(text("drop schema if exists analytics_candidate cascade"))
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
    return engine


@pytest.fixture(scope="package")
def dagster_instance() -> Iterator[DagsterInstance]:
    instance = DagsterInstance.ephemeral()
    yield instance
    instance.dispose()


@pytest.fixture
def webhook() -> Iterator[WebhookReceiver]:
    receiver = WebhookReceiver()
    yield receiver
    receiver.close()
