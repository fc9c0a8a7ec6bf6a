"""Fixtures of the admin tests: the seeded cohort published by a real dbt build, and for
the console's browser tests a real uvicorn and headless Chromium."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import pytest
from playwright.sync_api import Browser
from sqlalchemy import Engine

from tests.support.browser import chromium
from tests.support.cohort import (
    drop_published,
    publish,
    recent_moment,
    reset_app_tables,
    seed_cohort,
)
from tests.support.live_server import live_server


@pytest.fixture(scope="module")
def published_cohort(engine: Engine) -> Iterator[datetime]:
    """The cohort seeded and published once for the module; yields the run's as_of."""
    drop_published(engine)
    reset_app_tables(engine)
    as_of = recent_moment()
    seed_cohort(engine, as_of)
    publish(as_of)
    yield as_of
    drop_published(engine)
    reset_app_tables(engine)


@pytest.fixture(scope="module")
def server_url(tmp_path_factory: pytest.TempPathFactory, migrated_database: str) -> Iterator[str]:
    """The whole service in a uvicorn process on loopback, on the session database."""
    log_path = tmp_path_factory.mktemp("console") / "uvicorn.log"
    with live_server(log_path) as server:
        yield server.base_url


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as browser:
        yield browser
