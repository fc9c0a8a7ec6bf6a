"""The Pulse FastAPI application (`ingest.main:app`)."""

from __future__ import annotations

from fastapi import FastAPI

from ingest.api.routes import health

app = FastAPI(
    title="Pulse",
    summary="Player activity ingest, deposit feed and segment administration.",
    version="0.1.0",
)
app.include_router(health.router)
