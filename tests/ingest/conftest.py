"""Fixtures for the ingest API tests that need a real server process."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.live_server import LiveServer, live_server


@pytest.fixture(scope="session")
def server(
    migrated_database: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    """Pulse under uvicorn on loopback, on the migrated session database."""
    with live_server(tmp_path_factory.mktemp("uvicorn") / "server.log") as running:
        yield running
