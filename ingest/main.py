"""The Pulse FastAPI application (`ingest.main:app`)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from ingest.api.routes import health
from ingest.db import get_async_engine


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    yield
    await get_async_engine().dispose()


app = FastAPI(
    title="Pulse",
    summary="Player activity ingest, deposit feed and segment administration.",
    version="0.1.0",
    lifespan=lifespan,
)
app.include_router(health.router)
