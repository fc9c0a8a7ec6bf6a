"""Test session setup: a fresh PostgreSQL database per test session, dropped at the end.

The server is the one DATABASE_URL points at (CI: 127.0.0.1:5432) or, when it is
unset, Pulse's embedded PostgreSQL. Every Pulse component reads the database from
the environment, so the session database is published through DATABASE_URL before
any Pulse module builds an engine.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Callable, Iterator

import httpx
import pytest
from sqlalchemy import Engine, create_engine
from sqlalchemy.engine import make_url

from tests.support.databases import create_database, drop_database, server_url
from tests.support.tables import truncate_app_tables

_created: list[str] = []


def pytest_configure(config: pytest.Config) -> None:
    if os.environ.get("PULSE_TEST_DATABASE_URL"):
        return  # already configured (pytest-xdist workers, nested runs)
    base = server_url()
    name = f"pulse_test_{uuid.uuid4().hex[:12]}"
    test_url = create_database(base, name)
    _created.append(test_url)
    os.environ["PULSE_SERVER_URL"] = base
    os.environ["PULSE_TEST_DATABASE_URL"] = test_url
    os.environ["DATABASE_URL"] = test_url
    os.environ["PULSE_ENV"] = "test"
    os.environ.setdefault("JWT_SECRET", "pulse-test-secret-" + uuid.uuid4().hex)


def pytest_sessionstart(session: pytest.Session) -> None:
    # The Dagster definitions load the dbt manifest at import: parse the project first
    # (only when it changed since the last parse).
    from orchestration.project import prepare_manifest_if_stale

    prepare_manifest_if_stale()


def pytest_unconfigure(config: pytest.Config) -> None:
    for url in _created:
        drop_database(os.environ["PULSE_SERVER_URL"], make_url(url).database or "")


@pytest.fixture(scope="session")
def database_url() -> str:
    return os.environ["PULSE_TEST_DATABASE_URL"]


@pytest.fixture(scope="session")
def migrated_database(database_url: str) -> str:
    """The session database upgraded to the Alembic head (the way production gets its schema)."""
    from alembic import command
    from tests.support.databases import alembic_config

    command.upgrade(alembic_config(), "head")
    return database_url


@pytest.fixture(scope="session")
def engine(migrated_database: str) -> Iterator[Engine]:
    engine = create_engine(migrated_database)
    yield engine
    engine.dispose()


@pytest.fixture
def clean_tables(engine: Engine) -> Iterator[None]:
    """Empties the service's tables before a test that needs a blank slate."""
    truncate_app_tables(engine)
    yield


@pytest.fixture
def scratch_database() -> Iterator[str]:
    """A brand-new empty database on the test server, for tests that need their own."""
    base = os.environ["PULSE_SERVER_URL"]
    name = f"pulse_test_{uuid.uuid4().hex[:12]}"
    url = create_database(base, name)
    yield url
    drop_database(base, name)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
async def client(migrated_database: str) -> AsyncIterator[httpx.AsyncClient]:
    """The real app on the session database, its lifespan entered (as uvicorn would)."""
    from ingest.main import app

    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://pulse") as client:
            yield client


@pytest.fixture
def user_headers() -> Callable[[int], dict[str, str]]:
    """`user_headers(42)`: headers with a valid player token for user 42."""
    from tests.support.auth import user_headers

    return user_headers


@pytest.fixture
def admin_headers() -> dict[str, str]:
    """Headers with a valid admin token."""
    from tests.support.auth import admin_headers

    return admin_headers()
