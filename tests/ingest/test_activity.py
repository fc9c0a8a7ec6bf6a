"""`/api/activity/record` and `/batch` through the real app and PostgreSQL."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import Engine, text

from tests.support.players import ago, fresh_user_id, iso

pytestmark = pytest.mark.anyio


def stored_events(engine: Engine, user_id: int) -> list[dict[str, object]]:
    with engine.connect() as connection:
        rows = connection.execute(
            text(
                "select event_id, event_type, occurred_at, play_duration_seconds, metadata "
                "from app.activity_events where user_id = :user_id order by occurred_at"
            ),
            {"user_id": user_id},
        )
        return [dict(row._mapping) for row in rows]


def count_event_id(engine: Engine, event_id: str) -> int:
    with engine.connect() as connection:
        return connection.scalar(
            text("select count(*) from app.activity_events where event_id = :id"), {"id": event_id}
        )


async def test_record_stores_the_event_with_the_token_user(
    client: httpx.AsyncClient, user_headers, engine: Engine
) -> None:
    user_id = fresh_user_id()
    event_id = str(uuid.uuid4())
    occurred = ago(days=3)
    response = await client.post(
        "/api/activity/record",
        json={
            "event_id": event_id,
            "event_type": "play_duration",
            "occurred_at": iso(occurred),
            "play_duration_seconds": 95,
            "metadata": {"table": "roulette-3", "stake": 5},
        },
        headers=user_headers(user_id),
    )
    assert response.status_code == 202, response.text
    assert response.json() == {"event_id": event_id, "status": "accepted"}
    [row] = stored_events(engine, user_id)
    assert str(row["event_id"]) == event_id
    assert row["event_type"] == "play_duration"
    assert row["occurred_at"] == occurred
    assert row["play_duration_seconds"] == 95
    assert row["metadata"] == {"table": "roulette-3", "stake": 5}


async def test_unknown_user_is_created_with_the_event_time(
    client: httpx.AsyncClient, user_headers, engine: Engine
) -> None:
    user_id = fresh_user_id()
    occurred = ago(days=20)
    response = await client.post(
        "/api/activity/record",
        json={"event_type": "login", "occurred_at": iso(occurred)},
        headers=user_headers(user_id),
    )
    assert response.status_code == 202
    with engine.connect() as connection:
        created_at = connection.scalar(
            text("select created_at from app.users where id = :id"), {"id": user_id}
        )
    assert created_at == occurred


async def test_missing_event_id_is_made_by_the_server(
    client: httpx.AsyncClient, user_headers, engine: Engine
) -> None:
    user_id = fresh_user_id()
    before = datetime.now(UTC)
    response = await client.post(
        "/api/activity/record", json={"event_type": "dice_play"}, headers=user_headers(user_id)
    )
    assert response.status_code == 202
    event_id = response.json()["event_id"]
    assert uuid.UUID(event_id)
    [row] = stored_events(engine, user_id)
    assert str(row["event_id"]) == event_id
    assert before <= row["occurred_at"] <= datetime.now(UTC)  # defaults to server time
    assert row["metadata"] == {}


async def test_same_event_id_again_is_a_duplicate_and_stored_once(
    client: httpx.AsyncClient, user_headers, engine: Engine
) -> None:
    user_id = fresh_user_id()
    body = {"event_id": str(uuid.uuid4()), "event_type": "roulette_play"}
    first = await client.post("/api/activity/record", json=body, headers=user_headers(user_id))
    again = await client.post("/api/activity/record", json=body, headers=user_headers(user_id))
    assert first.json()["status"] == "accepted"
    assert again.status_code == 202
    assert again.json() == {"event_id": body["event_id"], "status": "duplicate"}
    assert count_event_id(engine, body["event_id"]) == 1


async def test_event_id_of_another_user_is_409_and_not_stored(
    client: httpx.AsyncClient, user_headers, engine: Engine
) -> None:
    owner, other = fresh_user_id(), fresh_user_id()
    body = {"event_id": str(uuid.uuid4()), "event_type": "lottery_play"}
    await client.post("/api/activity/record", json=body, headers=user_headers(owner))
    response = await client.post("/api/activity/record", json=body, headers=user_headers(other))
    assert response.status_code == 409
    assert "another user" in response.json()["detail"]
    assert stored_events(engine, other) == []


async def test_concurrent_retries_of_one_event_store_exactly_one_row(
    client: httpx.AsyncClient, user_headers, engine: Engine
) -> None:
    user_id = fresh_user_id()
    body = {"event_id": str(uuid.uuid4()), "event_type": "bonus_used"}
    responses = await asyncio.gather(
        *[
            client.post("/api/activity/record", json=body, headers=user_headers(user_id))
            for _ in range(50)
        ]
    )
    statuses = [response.json()["status"] for response in responses]
    assert {response.status_code for response in responses} == {202}
    assert statuses.count("accepted") == 1
    assert statuses.count("duplicate") == 49
    assert count_event_id(engine, body["event_id"]) == 1


@pytest.mark.parametrize(
    "body, field",
    [
        ({}, "event_type"),
        ({"event_type": "jackpot"}, "event_type"),
        ({"event_type": "play_duration"}, "play_duration_seconds"),
        ({"event_type": "login", "play_duration_seconds": 86_401}, "play_duration_seconds"),
        ({"event_type": "login", "play_duration_seconds": -1}, "play_duration_seconds"),
        ({"event_type": "login", "occurred_at": "2026-01-01T00:00:00"}, "occurred_at"),
        ({"event_type": "login", "event_id": "not-a-uuid"}, "event_id"),
        ({"event_type": "login", "metadata": {"blob": "x" * 4100}}, "metadata"),
        ({"event_type": "login", "metadata": {"text": "nul\u0000"}}, "metadata"),
        ({"event_type": "login", "user_id": 7}, "user_id"),
    ],
    ids=[
        "no-type",
        "unknown-type",
        "duration-missing",
        "duration-too-long",
        "duration-negative",
        "naive-time",
        "bad-uuid",
        "metadata-too-big",
        "metadata-nul",
        "user-id-in-body",
    ],
)
async def test_invalid_event_is_422_naming_the_field(
    client: httpx.AsyncClient, user_headers, engine: Engine, body: dict[str, object], field: str
) -> None:
    user_id = fresh_user_id()
    response = await client.post("/api/activity/record", json=body, headers=user_headers(user_id))
    assert response.status_code == 422
    payload = response.json()
    assert field in payload["message"]
    assert all({"loc", "field", "msg", "type"} <= problem.keys() for problem in payload["detail"])
    assert stored_events(engine, user_id) == []


async def test_future_event_beyond_five_minutes_is_422_and_late_event_is_accepted(
    client: httpx.AsyncClient, user_headers
) -> None:
    headers = user_headers(fresh_user_id())
    future = datetime.now(UTC) + timedelta(minutes=6)
    near_future = datetime.now(UTC) + timedelta(minutes=4)
    late = ago(days=45)
    too_far = await client.post(
        "/api/activity/record",
        json={"event_type": "login", "occurred_at": iso(future)},
        headers=headers,
    )
    assert too_far.status_code == 422
    assert "5 minutes ahead" in too_far.json()["message"]
    for moment in (near_future, late):
        response = await client.post(
            "/api/activity/record",
            json={"event_type": "login", "occurred_at": iso(moment)},
            headers=headers,
        )
        assert response.status_code == 202, response.text


async def test_metadata_at_the_4_kib_limit_is_accepted(
    client: httpx.AsyncClient, user_headers
) -> None:
    overhead = len(json.dumps({"blob": ""}, separators=(",", ":")))
    metadata = {"blob": "x" * (4096 - overhead)}
    response = await client.post(
        "/api/activity/record",
        json={"event_type": "login", "metadata": metadata},
        headers=user_headers(fresh_user_id()),
    )
    assert response.status_code == 202, response.text


async def test_record_without_token_is_401(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/activity/record", json={"event_type": "login"})
    assert response.status_code == 401
    assert "Authorization" in response.json()["detail"]


async def test_batch_stores_all_in_order_with_duplicates_counted_once(
    client: httpx.AsyncClient, user_headers, engine: Engine
) -> None:
    user_id = fresh_user_id()
    headers = user_headers(user_id)
    stored_before = str(uuid.uuid4())
    await client.post(
        "/api/activity/record",
        json={"event_id": stored_before, "event_type": "login"},
        headers=headers,
    )
    repeated = str(uuid.uuid4())
    events = [
        {"event_id": repeated, "event_type": "dice_play"},
        {"event_id": stored_before, "event_type": "login"},
        {"event_type": "roulette_play", "occurred_at": iso(ago(hours=2))},
        {"event_id": repeated, "event_type": "dice_play"},
    ]
    response = await client.post("/api/activity/batch", json={"events": events}, headers=headers)
    assert response.status_code == 202, response.text
    receipt = response.json()
    assert receipt["accepted"] == 2
    assert receipt["duplicates"] == 2
    assert [result["status"] for result in receipt["results"]] == [
        "accepted",
        "duplicate",
        "accepted",
        "duplicate",
    ]
    assert receipt["results"][0]["event_id"] == repeated
    assert len(stored_events(engine, user_id)) == 3


async def test_batch_with_one_bad_item_stores_nothing_and_names_each_index(
    client: httpx.AsyncClient, user_headers, engine: Engine
) -> None:
    user_id = fresh_user_id()
    events = [
        {"event_type": "login"},
        {"event_type": "play_duration"},
        {"event_type": "login"},
        {"event_type": "login", "occurred_at": iso(datetime.now(UTC) + timedelta(hours=1))},
    ]
    response = await client.post(
        "/api/activity/batch", json={"events": events}, headers=user_headers(user_id)
    )
    assert response.status_code == 422
    fields = {problem["field"] for problem in response.json()["detail"]}
    assert fields == {"events[1]", "events[3].occurred_at"}
    assert "play_duration_seconds" in response.json()["message"]
    assert stored_events(engine, user_id) == []


async def test_batch_with_another_users_event_id_is_409_and_stores_nothing(
    client: httpx.AsyncClient, user_headers, engine: Engine
) -> None:
    owner, user_id = fresh_user_id(), fresh_user_id()
    taken = str(uuid.uuid4())
    await client.post(
        "/api/activity/record",
        json={"event_id": taken, "event_type": "login"},
        headers=user_headers(owner),
    )
    events = [{"event_type": "login"}, {"event_id": taken, "event_type": "login"}]
    response = await client.post(
        "/api/activity/batch", json={"events": events}, headers=user_headers(user_id)
    )
    assert response.status_code == 409
    assert response.json()["detail"]["conflicts"] == [{"index": 1, "event_id": taken}]
    assert stored_events(engine, user_id) == []
    with engine.connect() as connection:
        users = text("select count(*) from app.users where id = :id")
        assert connection.scalar(users, {"id": user_id}) == 0


@pytest.mark.parametrize("size", [0, 501])
async def test_batch_size_outside_1_to_500_is_422(
    client: httpx.AsyncClient, user_headers, size: int
) -> None:
    events = [{"event_type": "login"} for _ in range(size)]
    response = await client.post(
        "/api/activity/batch", json={"events": events}, headers=user_headers(fresh_user_id())
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["field"] == "events"


async def test_batch_of_500_is_accepted(
    client: httpx.AsyncClient, user_headers, engine: Engine
) -> None:
    user_id = fresh_user_id()
    events = [{"event_type": "dice_play", "metadata": {"n": index}} for index in range(500)]
    response = await client.post(
        "/api/activity/batch", json={"events": events}, headers=user_headers(user_id)
    )
    assert response.status_code == 202
    assert response.json()["accepted"] == 500
    assert len(stored_events(engine, user_id)) == 500


async def test_body_over_1_mib_is_413(client: httpx.AsyncClient, user_headers) -> None:
    user_id = fresh_user_id()
    body = json.dumps({"events": [{"event_type": "login", "metadata": {"x": "y" * 3000}}] * 400})
    assert len(body) > 1024 * 1024
    declared = await client.post(
        "/api/activity/batch",
        content=body,
        headers={**user_headers(user_id), "Content-Type": "application/json"},
    )
    assert declared.status_code == 413
    assert "1048576 bytes" in declared.json()["detail"]

    async def chunks():  # no Content-Length: the body is counted as it streams
        for start in range(0, len(body), 65536):
            yield body[start : start + 65536].encode()

    streamed = await client.post(
        "/api/activity/batch",
        content=chunks(),
        headers={**user_headers(user_id), "Content-Type": "application/json"},
    )
    assert streamed.status_code == 413


async def test_malformed_json_is_422_with_a_message(
    client: httpx.AsyncClient, user_headers
) -> None:
    response = await client.post(
        "/api/activity/record",
        content=b'{"event_type": ',
        headers={**user_headers(fresh_user_id()), "Content-Type": "application/json"},
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["type"] == "json_invalid"


async def test_batch_names_every_bad_index_whatever_check_finds_it(
    client: httpx.AsyncClient, user_headers, engine: Engine
) -> None:
    # Type errors and the checks made in Python (metadata, clock, duration) in one batch:
    # the 422 lists all of them, and nothing is stored.
    user_id = fresh_user_id()
    future = iso(datetime.now(UTC) + timedelta(hours=1))
    body = (
        '{"events":['
        '{"event_type":"jackpot"},'
        '{"event_type":"login"},'
        '{"event_type":"login","metadata":{"x":NaN}},'
        '{"event_type":"login","metadata":{"blob":"' + "x" * 4100 + '"}},'
        '{"event_type":"play_duration"},'
        '{"event_type":"login","occurred_at":"' + future + '"}'
        "]}"
    )
    response = await client.post(
        "/api/activity/batch",
        content=body,
        headers={**user_headers(user_id), "Content-Type": "application/json"},
    )
    assert response.status_code == 422
    fields = {problem["field"] for problem in response.json()["detail"]}
    assert fields == {
        "events[0].event_type",
        "events[2].metadata",
        "events[3].metadata",
        "events[4]",
        "events[5].occurred_at",
    }
    assert stored_events(engine, user_id) == []


async def test_non_finite_metadata_number_is_422(client: httpx.AsyncClient, user_headers) -> None:
    for value in ("NaN", "Infinity", "-Infinity"):
        response = await client.post(
            "/api/activity/record",
            content='{"event_type":"login","metadata":{"x":' + value + "}}",
            headers={**user_headers(fresh_user_id()), "Content-Type": "application/json"},
        )
        assert response.status_code == 422, value
        assert response.json()["detail"][0]["field"] == "metadata"


METADATA_SAMPLES = [
    {},
    {"none": None, "nested": {"list": [1, None, "two", [3.5]]}, "flag": False},
    {"big": 2**70, "negative": -(2**63), "float": 1e16, "small": 1.5e-7},
    {"text": "caf\u00e9 \u2713 \U0001f3b2", "quote": 'say "hi"\n', "empty": ""},
    {"controls": "a\u001f,\u001f,b\t", "nested": [{"\u001f": ",\u001f,"}]},
]


@pytest.mark.parametrize("route", ["record", "batch"])
async def test_metadata_is_stored_as_sent(
    client: httpx.AsyncClient, user_headers, engine: Engine, route: str
) -> None:
    user_id = fresh_user_id()
    events = [
        {"event_type": "login", "occurred_at": iso(ago(minutes=len(METADATA_SAMPLES) - index)),
         "metadata": metadata}
        for index, metadata in enumerate(METADATA_SAMPLES)
    ]  # fmt: skip
    if route == "batch":
        response = await client.post(
            "/api/activity/batch", json={"events": events}, headers=user_headers(user_id)
        )
        assert response.status_code == 202, response.text
    else:
        for event in events:
            response = await client.post(
                "/api/activity/record", json=event, headers=user_headers(user_id)
            )
            assert response.status_code == 202, response.text
    assert [row["metadata"] for row in stored_events(engine, user_id)] == METADATA_SAMPLES


async def test_batch_of_an_unknown_user_creates_it_with_its_earliest_event_time(
    client: httpx.AsyncClient, user_headers, engine: Engine
) -> None:
    user_id = fresh_user_id()
    earliest = ago(days=3)
    events = [
        {"event_type": "login", "occurred_at": iso(ago(hours=1))},
        {"event_type": "login", "occurred_at": iso(earliest)},
        {"event_type": "login"},
    ]
    response = await client.post(
        "/api/activity/batch", json={"events": events}, headers=user_headers(user_id)
    )
    assert response.status_code == 202, response.text
    with engine.connect() as connection:
        created_at = connection.scalar(
            text("select created_at from app.users where id = :id"), {"id": user_id}
        )
    assert created_at == earliest
