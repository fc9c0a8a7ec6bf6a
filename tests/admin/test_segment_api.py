"""The admin segment API on segments published by the real dbt build."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, text

from tests.admin.published import COHORT
from tests.support.auth import admin_headers, user_headers

pytestmark = [pytest.mark.anyio, pytest.mark.usefixtures("published_cohort")]

EXPECTED = {
    COHORT.vip: ("VIP", "vip"),
    COHORT.dormant_long: ("DORMANT_LONG", "dormant_long"),
    COHORT.dormant_short: ("DORMANT_SHORT", "dormant_short"),
    COHORT.new: ("NEW", "new"),
    COHORT.active: ("ACTIVE", "active"),
}
ADMIN = admin_headers(7)


async def get_json(client: httpx.AsyncClient, path: str, **params: Any) -> Any:
    response = await client.get(path, params=params, headers=ADMIN)
    assert response.status_code == 200, response.text
    return response.json()


@pytest.mark.parametrize(
    "path",
    [
        "/admin/api/segments",
        "/admin/api/segments/sizes",
        "/admin/api/segments/VIP/users",
        "/admin/api/segments/VIP/export",
        "/admin/api/segments/changes",
        f"/admin/api/users/{COHORT.vip}/segment",
        f"/admin/api/users/{COHORT.vip}/segment/history",
    ],
)
async def test_every_route_needs_an_admin_token(client: httpx.AsyncClient, path: str) -> None:
    assert (await client.get(path)).status_code == 401
    player = await client.get(path, headers=user_headers(COHORT.vip))
    assert player.status_code == 403
    assert "admin" in player.json()["detail"]


async def test_summary_counts_each_segment_and_tells_freshness(
    client: httpx.AsyncClient, published_cohort: datetime
) -> None:
    body = await get_json(client, "/admin/api/segments")
    sizes = {entry["segment"]: entry["users"] for entry in body["segments"]}
    assert sizes == {"VIP": 1, "DORMANT_LONG": 1, "DORMANT_SHORT": 1, "NEW": 1, "ACTIVE": 26}
    assert body["total_users"] == 30
    assert datetime.fromisoformat(body["as_of"]) == published_cohort
    assert body["is_fresh"] is True
    assert body["live_overrides"] == 0


async def test_members_are_keyset_paginated_and_stable_under_inserts(
    client: httpx.AsyncClient, engine: Engine
) -> None:
    first = await get_json(client, "/admin/api/segments/active/users", limit=10)
    assert first["segment"] == "ACTIVE"
    ids = [row["user_id"] for row in first["items"]]
    assert ids == sorted(ids) and len(ids) == 10
    assert {"rule", "last_active_at", "deposit_30d", "created_at"} <= set(first["items"][0])
    # A player published before the cursor meanwhile must not shift the next page.
    with engine.begin() as connection:
        connection.execute(
            text(
                "insert into analytics.user_segment "
                "(user_id, segment, rule, computed_at) values (1, 'ACTIVE', 'active', now())"
            )
        )
    try:
        seen = list(ids)
        cursor = first["next_cursor"]
        while cursor:
            page = await get_json(
                client, "/admin/api/segments/ACTIVE/users", limit=10, cursor=cursor
            )
            seen += [row["user_id"] for row in page["items"]]
            cursor = page["next_cursor"]
    finally:
        with engine.begin() as connection:
            connection.execute(text("delete from analytics.user_segment where user_id = 1"))
    assert seen == sorted([COHORT.active, *COHORT.active_ids])


async def test_members_reject_bad_cursor_and_unknown_segment(client: httpx.AsyncClient) -> None:
    bad = await client.get("/admin/api/segments/VIP/users", params={"cursor": "42"}, headers=ADMIN)
    assert bad.status_code == 400
    assert "next_cursor" in bad.json()["detail"]
    unknown = await client.get("/admin/api/segments/WHALES/users", headers=ADMIN)
    assert unknown.status_code == 404
    assert "VIP" in unknown.json()["detail"]


async def test_explanation_agrees_with_the_rule_dbt_applied(client: httpx.AsyncClient) -> None:
    for user_id, (segment, rule) in EXPECTED.items():
        body = await get_json(client, f"/admin/api/users/{user_id}/segment")
        assert (body["segment"], body["rule"], body["is_override"]) == (segment, rule, False)
        checks = body["features"]["rules"]
        first_match = next(check["rule"] for check in checks if check["matched"])
        assert first_match == rule, (user_id, checks)
        assert body["pending"] is None


async def test_explanation_shows_features_thresholds_and_activity(
    client: httpx.AsyncClient,
) -> None:
    vip = await get_json(client, f"/admin/api/users/{COHORT.vip}/segment")
    features = vip["features"]
    assert features["thresholds"]["vip_min_deposit_30d"] == "1000000"
    assert features["thresholds"]["dormant_long_days"] == 30
    assert float(features["deposit_30d"]) == 2_000_000
    assert features["summary"].startswith("VIP")
    activity = vip["activity"]
    assert activity["roulette_plays"] == 2
    assert activity["dice_plays"] == 1
    assert activity["last_charge_at"] is not None

    dormant = await get_json(client, f"/admin/api/users/{COHORT.dormant_long}/segment")
    assert 44.9 < dormant["features"]["days_since_last_active"] < 45.1
    long_check = next(c for c in dormant["features"]["rules"] if c["rule"] == "dormant_long")
    assert long_check["threshold"] == 30 and long_check["matched"] is True


async def test_unknown_user_is_404(client: httpx.AsyncClient) -> None:
    response = await client.get("/admin/api/users/999999/segment", headers=ADMIN)
    assert response.status_code == 404
    assert response.json()["detail"] == "user 999999 does not exist"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"segment": "VIP", "reason": "   "}, "reason"),
        ({"segment": "VIP"}, "reason"),
        ({"segment": "WHALE", "reason": "big spender"}, "segment"),
        ({"segment": "VIP", "reason": "x", "expires_at": "2001-01-01T00:00:00Z"}, "expires_at"),
        ({"segment": "VIP", "reason": "x", "expires_at": "2999-01-01T00:00:00"}, "expires_at"),
    ],
)
async def test_bad_override_is_refused_and_stores_nothing(
    client: httpx.AsyncClient, engine: Engine, body: dict[str, Any], field: str
) -> None:
    response = await client.put(
        f"/admin/api/users/{COHORT.active}/segment", json=body, headers=ADMIN
    )
    assert response.status_code == 422
    assert field in response.text
    with engine.connect() as connection:
        stored = connection.execute(
            text(
                "select (select count(*) from app.segment_overrides) "
                "+ (select count(*) from app.segment_override_audit)"
            )
        ).scalar_one()
    assert stored == 0


async def test_override_for_unknown_user_is_404(client: httpx.AsyncClient) -> None:
    response = await client.put(
        "/admin/api/users/999999/segment", json={"segment": "VIP", "reason": "x"}, headers=ADMIN
    )
    assert response.status_code == 404


async def test_expired_override_does_not_count(client: httpx.AsyncClient, engine: Engine) -> None:
    with engine.begin() as connection:
        connection.execute(
            text(
                "insert into app.segment_overrides (user_id, segment, reason, expires_at, "
                "created_by) values "
                "(:user_id, 'VIP', 'old campaign', now() - interval '1 hour', '3')"
            ),
            {"user_id": COHORT.new},
        )
    try:
        body = await get_json(client, f"/admin/api/users/{COHORT.new}/segment")
        assert (body["segment"], body["is_override"], body["override"]) == ("NEW", False, None)
    finally:
        with engine.begin() as connection:
            connection.execute(text("delete from app.segment_overrides"))


async def test_export_streams_the_whole_segment_as_csv(client: httpx.AsyncClient) -> None:
    response = await client.get("/admin/api/segments/active/export", headers=ADMIN)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "segment-ACTIVE-" in response.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [int(row["user_id"]) for row in rows] == sorted([COHORT.active, *COHORT.active_ids])
    assert {row["segment"] for row in rows} == {"ACTIVE"}
    assert rows[0]["as_of"].endswith("+00")
    missing = await client.get("/admin/api/segments/nope/export", headers=ADMIN)
    assert missing.status_code == 404


async def test_change_feed_pages_through_every_transition_once(
    client: httpx.AsyncClient, engine: Engine
) -> None:
    with engine.connect() as connection:
        expected = (
            connection.execute(
                text(
                    "select change_id from analytics.user_segment_changes "
                    "order by changed_at, change_id"
                )
            )
            .scalars()
            .all()
        )
    assert len(expected) == 30  # every player's first appearance
    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 7}
        if cursor:
            params["since"] = cursor
        page = await get_json(client, "/admin/api/segments/changes", **params)
        seen += [item["change_id"] for item in page["items"]]
        if not page["has_more"]:
            break
        cursor = page["next_cursor"]
    assert seen == list(expected)
    # Polling again from the last cursor returns nothing new and keeps the cursor.
    last = page["next_cursor"]
    again = await get_json(client, "/admin/api/segments/changes", since=last)
    assert again["items"] == [] and again["next_cursor"] == last
    first = (await get_json(client, "/admin/api/segments/changes", limit=1))["items"][0]
    assert first["from_segment"] is None


async def test_change_feed_since_time_and_bad_since(client: httpx.AsyncClient) -> None:
    future = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    assert (await get_json(client, "/admin/api/segments/changes", since=future))["items"] == []
    past = (datetime.now(UTC) - timedelta(days=1)).isoformat()
    assert len((await get_json(client, "/admin/api/segments/changes", since=past))["items"]) == 30
    bad = await client.get(
        "/admin/api/segments/changes", params={"since": "yesterday"}, headers=ADMIN
    )
    assert bad.status_code == 400
    assert "ISO 8601" in bad.json()["detail"]
