"""The whole path: the ingest API stores events and deposit totals, dbt builds the marts.

Nothing is inserted by hand: users, events and the deposit feed go through the
real HTTP routes, then `dbt build` runs with the default as_of (the run's start).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import httpx
import pytest
from sqlalchemy import Engine

from tests.support.dbt import RunDbt
from tests.support.dbt_data import rows_by_user

pytestmark = pytest.mark.anyio


async def test_api_writes_become_activity_and_segments(
    engine: Engine,
    run_dbt: RunDbt,
    client: httpx.AsyncClient,
    user_headers: Callable[[int], dict[str, str]],
    admin_headers: dict[str, str],
) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    signed_up = now - timedelta(days=60)
    for user_id in (41, 42):
        response = await client.put(
            f"/admin/api/users/{user_id}",
            json={"created_at": signed_up.isoformat()},
            headers=admin_headers,
        )
        assert response.status_code in (200, 201), response.text

    events = [
        {"event_type": "roulette_play", "occurred_at": (now - timedelta(hours=5)).isoformat()},
        {"event_type": "roulette_play", "occurred_at": (now - timedelta(hours=4)).isoformat()},
        {
            "event_type": "play_duration",
            "occurred_at": (now - timedelta(hours=3)).isoformat(),
            "play_duration_seconds": 420,
        },
        {"event_type": "bonus_used", "occurred_at": (now - timedelta(hours=2)).isoformat()},
    ]
    for event in events:
        response = await client.post("/api/activity/record", json=event, headers=user_headers(41))
        assert response.status_code == 202, response.text

    # the platform's deposit feed: a charge, a reset, then a recharge from the reset value
    feed = [
        (now - timedelta(days=3), "1500000.00"),
        (now - timedelta(days=2), "0.00"),
        (now - timedelta(days=1), "200000.00"),
    ]
    for updated_at, amount in feed:
        response = await client.put(
            "/admin/api/external-ranking/41",
            json={"deposit_amount": amount, "updated_at": updated_at.isoformat()},
            headers=admin_headers,
        )
        assert response.status_code == 200, response.text

    run_dbt("build")

    activity = rows_by_user(engine, "analytics.user_activity")
    player = activity[41]
    assert (player["roulette_plays"], player["dice_plays"], player["lottery_plays"]) == (2, 0, 0)
    assert player["total_play_duration"] == 420
    assert player["last_bonus_used_at"] == now - timedelta(hours=2)
    assert player["last_play_at"] == now - timedelta(hours=3)
    assert player["last_charge_at"] == now - timedelta(days=1)
    assert player["deposit_30d"] == Decimal("1700000")
    assert player["last_active_at"] == now - timedelta(hours=2)

    idle = activity[42]
    assert (idle["roulette_plays"], idle["total_play_duration"], idle["deposit_30d"]) == (0, 0, 0)
    assert idle["last_charge_at"] is None

    segments = rows_by_user(engine, "analytics.user_segment")
    assert (segments[41]["segment"], segments[41]["rule"]) == ("VIP", "vip")
    assert (segments[42]["segment"], segments[42]["rule"]) == ("DORMANT_LONG", "dormant_long")
    assert segments[41]["as_of"] == segments[41]["computed_at"]
