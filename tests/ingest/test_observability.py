"""`/metrics` counts requests and events; request logs are JSON lines without tokens."""

from __future__ import annotations

import json
import logging
import re
import uuid

import httpx
import pytest

from tests.support.players import fresh_user_id

pytestmark = pytest.mark.anyio


def metric(text: str, name: str, **labels: str) -> float:
    wanted = ",".join(f'{key}="{value}"' for key, value in sorted(labels.items()))
    for line in text.splitlines():
        match = re.match(r"^(\w+)\{(.*)\} (\S+)$", line)
        if match and match.group(1) == name:
            found = ",".join(sorted(match.group(2).split(",")))
            if found == wanted:
                return float(match.group(3))
    return 0.0


async def test_metrics_count_events_and_requests(client: httpx.AsyncClient, user_headers) -> None:
    before = (await client.get("/metrics")).text
    headers = user_headers(fresh_user_id())
    body = {"event_id": str(uuid.uuid4()), "event_type": "lottery_play"}
    await client.post("/api/activity/record", json=body, headers=headers)
    await client.post("/api/activity/record", json=body, headers=headers)
    await client.post("/api/activity/record", json={"event_type": "nope"}, headers=headers)
    await client.post(
        "/api/activity/record",
        json={"event_type": "lottery_play", "play_duration_seconds": -5},
        headers=headers,
    )
    after = await client.get("/metrics")
    assert after.headers["content-type"].startswith("text/plain")
    text = after.text

    def delta(name: str, **labels: str) -> float:
        return metric(text, name, **labels) - metric(before, name, **labels)

    assert delta("pulse_events_total", event_type="lottery_play", outcome="accepted") == 1
    assert delta("pulse_events_total", event_type="lottery_play", outcome="duplicate") == 1
    assert delta("pulse_events_total", event_type="lottery_play", outcome="rejected") == 1
    assert delta("pulse_events_total", event_type="unknown", outcome="rejected") == 1
    route = {"method": "POST", "route": "/api/activity/record"}
    assert delta("pulse_http_requests_total", **route, status="202") == 2
    assert delta("pulse_http_requests_total", **route, status="422") == 2
    assert delta("pulse_http_request_duration_seconds_count", **route, status="202") == 2


async def test_request_log_is_one_json_line_without_the_token(
    client: httpx.AsyncClient, user_headers, caplog: pytest.LogCaptureFixture
) -> None:
    user_id = fresh_user_id()
    headers = user_headers(user_id)
    token = headers["Authorization"].removeprefix("Bearer ")
    access = logging.getLogger("pulse.access")
    access.addHandler(caplog.handler)
    try:
        await client.post("/api/activity/record", json={"event_type": "login"}, headers=headers)
    finally:
        access.removeHandler(caplog.handler)
    [record] = [record for record in caplog.records if record.name == "pulse.access"]
    formatter = access.handlers[0].formatter
    assert formatter is not None
    line = json.loads(formatter.format(record))
    assert line["route"] == "/api/activity/record"
    assert line["status"] == 202
    assert line["user_id"] == user_id
    assert line["latency_ms"] > 0
    assert token not in formatter.format(record)
