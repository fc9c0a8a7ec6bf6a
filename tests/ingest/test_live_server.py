"""The API through a real uvicorn process: what a client on the network sees."""

from __future__ import annotations

import asyncio
import json
import uuid

import httpx
import pytest
from sqlalchemy import Engine, text

from tests.support.auth import user_headers
from tests.support.live_server import LiveServer
from tests.support.players import fresh_user_id

pytestmark = pytest.mark.anyio


async def test_records_over_http_are_stored_once_and_logged_as_json(
    server: LiveServer, engine: Engine
) -> None:
    user_id = fresh_user_id()
    headers = user_headers(user_id)
    token = headers["Authorization"].removeprefix("Bearer ")
    event_ids = [str(uuid.uuid4()) for _ in range(20)]
    async with httpx.AsyncClient(base_url=server.base_url, headers=headers) as client:
        # Every event sent three times at once: parallel retries of the same event_id.
        responses = await asyncio.gather(
            *[
                client.post(
                    "/api/activity/record", json={"event_id": event_id, "event_type": "login"}
                )
                for event_id in event_ids * 3
            ]
        )
        ready = await client.get("/readyz")
    assert ready.status_code == 200
    assert {response.status_code for response in responses} == {202}
    statuses = [response.json()["status"] for response in responses]
    assert statuses.count("accepted") == 20
    assert statuses.count("duplicate") == 40
    with engine.connect() as connection:
        stored = connection.scalar(
            text("select count(*) from app.activity_events where user_id = :id"), {"id": user_id}
        )
    assert stored == 20

    log_lines = [
        json.loads(line)
        for line in server.log_path.read_text().splitlines()
        if line.startswith("{")
    ]
    mine = [line for line in log_lines if line.get("user_id") == user_id]
    assert len(mine) == 60
    assert {line["route"] for line in mine} == {"/api/activity/record"}
    assert token not in server.log_path.read_text()
