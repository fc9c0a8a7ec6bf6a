"""Baseline (a): a bare FastAPI endpoint that validates the same body as `/record` and
does one INSERT per request through an async connection pool (no group commit, no
auth, no logs, no metrics)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from sqlalchemy import text

from ingest.db import get_async_engine
from ingest.schemas.activity import ActivityEventCreate, serialized_metadata
from ingest.schemas.instants import utc_now

BENCH_USER_ID = 1

_INSERT = text(
    "insert into app.activity_events "
    "(event_id, user_id, event_type, occurred_at, play_duration_seconds, metadata) "
    "values (:event_id, :user_id, :event_type, :occurred_at, :duration, cast(:metadata as jsonb))"
)


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    yield
    await get_async_engine().dispose()


app = FastAPI(lifespan=lifespan)


@app.post("/record", status_code=202)
async def record(event: ActivityEventCreate) -> dict[str, str]:
    event_id = event.event_id or uuid.uuid4()
    async with get_async_engine().begin() as connection:
        await connection.execute(
            _INSERT,
            {
                "event_id": event_id,
                "user_id": BENCH_USER_ID,
                "event_type": event.event_type,
                "occurred_at": event.occurred_at or utc_now(),
                "duration": event.play_duration_seconds,
                "metadata": serialized_metadata(event.metadata),
            },
        )
    return {"event_id": str(event_id), "status": "accepted"}
