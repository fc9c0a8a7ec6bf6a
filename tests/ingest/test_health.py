"""Liveness and readiness probes against the real app and database."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import create_engine, text

from ingest.main import app


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.mark.anyio
async def test_healthz_and_readyz_on_a_migrated_database(migrated_database: str) -> None:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://pulse") as client:
        health = await client.get("/healthz")
        ready = await client.get("/readyz")
    assert health.status_code == 200
    assert health.json() == {"status": "ok"}
    assert ready.status_code == 200, ready.text
    assert ready.json()["status"] == "ready"


@pytest.mark.anyio
async def test_readyz_is_503_when_schema_is_behind(migrated_database: str) -> None:
    engine = create_engine(migrated_database)
    with engine.begin() as connection:
        head = connection.scalar(text("select version_num from public.alembic_version"))
        connection.execute(text("update public.alembic_version set version_num = 'old'"))
    try:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://pulse") as client:
            ready = await client.get("/readyz")
        assert ready.status_code == 503
        assert "alembic upgrade head" in ready.json()["reason"]
    finally:
        with engine.begin() as connection:
            connection.execute(
                text("update public.alembic_version set version_num = :head"),
                {"head": head},
            )
        engine.dispose()
