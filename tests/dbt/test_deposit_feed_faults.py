"""A messy deposit feed gives the same last_charge_at and deposit_30d as the clean feed.

The platform's feed can arrive out of order, send the same snapshot twice, or go
backwards (a reset or correction). Each player here gets the same deposit history,
sent through the real `PUT /admin/api/external-ranking/{user_id}` route in a different
way; after `dbt build` every player's charge figures must equal the clean player's.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import Engine

from tests.support.dbt import RunDbt
from tests.support.dbt_data import rows_by_user

pytestmark = pytest.mark.anyio

CLEAN, SHUFFLED, REPEATED, SHUFFLED_AND_REPEATED = 61, 62, 63, 64


async def _send(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    user_id: int,
    feed: list[tuple[datetime, str]],
) -> list[str]:
    statuses = []
    for updated_at, amount in feed:
        response = await client.put(
            f"/admin/api/external-ranking/{user_id}",
            json={"deposit_amount": amount, "updated_at": updated_at.isoformat()},
            headers=headers,
        )
        assert response.status_code == 200, response.text
        statuses.append(response.json()["status"])
    return statuses


async def test_out_of_order_and_repeated_snapshots_match_the_clean_feed(
    engine: Engine,
    run_dbt: RunDbt,
    client: httpx.AsyncClient,
    admin_headers: dict[str, str],
) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    # a charge, a bigger total, a reset to 0 (never a charge), a recharge counted from
    # the reset value, then a correction downwards (never a charge)
    clean = [
        (now - timedelta(days=40), "300000.00"),
        (now - timedelta(days=20), "900000.00"),
        (now - timedelta(days=10), "0.00"),
        (now - timedelta(days=5), "400000.00"),
        (now - timedelta(days=2), "350000.00"),
    ]
    shuffled = clean[:]
    random.Random(7).shuffle(shuffled)
    assert shuffled != clean

    assert await _send(client, admin_headers, CLEAN, clean) == ["updated"] * len(clean)
    shuffled_statuses = await _send(client, admin_headers, SHUFFLED, shuffled)
    assert "stale" in shuffled_statuses  # older snapshots after newer ones are history only
    repeated_statuses = await _send(client, admin_headers, REPEATED, [*clean, *clean])
    assert repeated_statuses[len(clean) :] == ["unchanged"] * len(clean)
    await _send(client, admin_headers, SHUFFLED_AND_REPEATED, [*shuffled, *reversed(clean)])

    run_dbt("build")

    activity = rows_by_user(engine, "analytics.user_activity")
    expected_charge_at = now - timedelta(days=5)
    # increments inside 30 days: 900000-300000 (day 20) and 400000-0 (day 5)
    for user_id in (CLEAN, SHUFFLED, REPEATED, SHUFFLED_AND_REPEATED):
        player = activity[user_id]
        assert player["last_charge_at"] == expected_charge_at, user_id
        assert player["deposit_30d"] == 1_000_000, user_id

    segments = rows_by_user(engine, "analytics.user_segment")
    assert {segments[user_id]["segment"] for user_id in activity if user_id >= CLEAN} == {"VIP"}
