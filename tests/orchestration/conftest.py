"""Orchestration test fixtures: seeded raw tables, a Dagster instance, a webhook receiver."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from dagster import DagsterInstance
from sqlalchemy import Engine

from tests.support.replay import seed_demo_and_replay_player
from tests.support.webhook import WebhookReceiver


@pytest.fixture(scope="package")
def seeded_database(engine: Engine) -> Engine:
    """The session database with demo data plus the replay player (clean slate first)."""
    seed_demo_and_replay_player(engine)
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
