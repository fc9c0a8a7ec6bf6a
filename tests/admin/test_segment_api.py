"""The admin segment API on segments published by the real dbt build."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, text

from tests.support.api import get_json
from tests.support.auth import admin_headers, user_headers
from tests.support.cohort import (
    COHORT,
    published_catalogue,
    published_segment_of,
)
from tests.support.profile import dbt_profile_columns
from tests.support.segments import declared_segments, expected_catalogue

pytestmark = [pytest.mark.anyio, pytest.mark.usefixtures("published_cohort")]

ADMIN = admin_headers(7)
DECLARED = declared_segments()
NAMES = [entry["name"] for entry in DECLARED]
# The ordinary players of the cohort match no rule: they get the fallback, the last entry.
FALLBACK = NAMES[-1]
RULE_PLAYERS = (COHORT.vip, COHORT.dormant_long, COHORT.dormant_short, COHORT.new, COHORT.active)


@pytest.mark.parametrize(
    "path",
    [
        "/admin/api/segments",
        "/admin/api/segments/sizes",
        "/admin/api/segments/catalogue",
        f"/admin/api/segments/{FALLBACK}/users",
        f"/admin/api/segments/{FALLBACK}/export",
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


def published_counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as connection:
        rows = connection.execute(
            text("select segment, count(*) from analytics.user_segment group by segment")
        )
        return {segment: int(users) for segment, users in rows}


async def test_summary_lists_the_catalogue_in_order_and_tells_freshness(
    client: httpx.AsyncClient, published_cohort: datetime, engine: Engine
) -> None:
    body = await get_json(client, "/admin/api/segments", ADMIN)
    assert [entry["segment"] for entry in body["segments"]] == NAMES
    assert [entry["priority"] for entry in body["segments"]] == list(range(1, len(NAMES) + 1))
    counts = published_counts(engine)
    assert {entry["segment"]: entry["users"] for entry in body["segments"]} == {
        name: counts.get(name, 0) for name in NAMES
    }
    assert counts[FALLBACK] == 1 + len(COHORT.active_ids)
    assert body["total_users"] == 30
    assert datetime.fromisoformat(body["as_of"]) == published_cohort
    assert body["is_fresh"] is True
    assert body["live_overrides"] == 0
    assert body["ignored_overrides"] == 0


async def test_catalogue_route_publishes_the_declared_entries_with_their_sizes(
    client: httpx.AsyncClient, published_cohort: datetime, engine: Engine
) -> None:
    body = await get_json(client, "/admin/api/segments/catalogue", ADMIN)
    counts = published_counts(engine)
    assert [
        (
            e["priority"],
            e["name"],
            e["rule"],
            e["when"],
            e["description"],
            e["description_ko"],
            e["is_fallback"],
        )
        for e in body["entries"]
    ] == expected_catalogue(DECLARED)
    assert [e["users"] for e in body["entries"]] == [counts.get(name, 0) for name in NAMES]
    assert body["total_users"] == 30
    assert datetime.fromisoformat(body["as_of"]) == published_cohort
    assert body["computed_at"] is not None


async def test_members_are_keyset_paginated_and_stable_under_inserts(
    client: httpx.AsyncClient, engine: Engine
) -> None:
    first = await get_json(client, f"/admin/api/segments/{FALLBACK.lower()}/users", ADMIN, limit=10)
    assert first["segment"] == FALLBACK
    ids = [row["user_id"] for row in first["items"]]
    assert ids == sorted(ids) and len(ids) == 10
    assert {"rule", "last_active_at", "deposit_30d", "created_at"} <= set(first["items"][0])
    # A player published before the cursor meanwhile must not shift the next page.
    with engine.begin() as connection:
        connection.execute(
            text(
                "insert into analytics.user_segment_members (user_id, segment, rule) "
                "values (1, :segment, lower(:segment))"
            ),
            {"segment": FALLBACK},
        )
    try:
        seen = list(ids)
        cursor = first["next_cursor"]
        while cursor:
            page = await get_json(
                client, f"/admin/api/segments/{FALLBACK}/users", ADMIN, limit=10, cursor=cursor
            )
            seen += [row["user_id"] for row in page["items"]]
            cursor = page["next_cursor"]
    finally:
        with engine.begin() as connection:
            connection.execute(text("delete from analytics.user_segment_members where user_id = 1"))
    assert seen == sorted([COHORT.active, *COHORT.active_ids])


async def test_members_reject_bad_cursor_and_unknown_segment(client: httpx.AsyncClient) -> None:
    bad = await client.get(
        f"/admin/api/segments/{FALLBACK}/users", params={"cursor": "42"}, headers=ADMIN
    )
    assert bad.status_code == 400
    assert "next_cursor" in bad.json()["detail"]
    for route in ("users", "export"):
        unknown = await client.get(f"/admin/api/segments/WHALES/{route}", headers=ADMIN)
        assert unknown.status_code == 404
        assert unknown.json()["detail"] == (
            f"unknown segment 'WHALES': the published catalogue holds {', '.join(NAMES)}"
        )


async def test_explanation_lists_every_entry_and_agrees_with_what_dbt_published(
    client: httpx.AsyncClient, engine: Engine
) -> None:
    catalogue = published_catalogue(engine)
    decided = set()
    for user_id in RULE_PLAYERS:
        segment, rule, matched_segments = published_segment_of(engine, user_id)
        body = await get_json(client, f"/admin/api/users/{user_id}/segment", ADMIN)
        assert (body["segment"], body["rule"], body["is_override"]) == (segment, rule, False)
        assert body["pending"] is None and body["override"] is None
        checks = body["rules"]
        assert [(c["priority"], c["segment"], c["when"]) for c in checks] == [
            (entry["priority"], entry["name"], entry["when_sql"]) for entry in catalogue
        ]
        assert [c["segment"] for c in checks if c["held"]] == matched_segments.split(",")
        assert [c["segment"] for c in checks if c["decisive"]] == [segment]
        assert body["rules_segment"] == segment
        entry = next(entry for entry in catalogue if entry["name"] == segment)
        if entry["is_fallback"]:
            assert body["summary"] == f"{segment}: no entry before it holds (the fallback)."
        else:
            assert body["summary"] == f"{segment}: first rule that holds: `{entry['when_sql']}`."
        decided.add(segment)
    # The seeded players reach several entries, the fallback among them.
    assert len(decided) > 2 and FALLBACK in decided


async def test_explanation_shows_the_published_profile(client: httpx.AsyncClient) -> None:
    vip = await get_json(client, f"/admin/api/users/{COHORT.vip}/segment", ADMIN)
    features = vip["features"]
    assert float(features["deposit_30d"]) == 2_000_000
    assert features["roulette_plays"] == 2
    assert features["dice_plays"] == 1
    assert features["last_charge_at"] is not None
    # every column of the profile dbt publishes, but the key
    assert set(features) == set(dbt_profile_columns()) - {"user_id"}
    descriptions = {entry["name"]: entry.get("description_ko") for entry in DECLARED}
    assert {c["segment"]: c["description_ko"] for c in vip["rules"]} == descriptions


async def test_unknown_user_is_404(client: httpx.AsyncClient) -> None:
    response = await client.get("/admin/api/users/999999/segment", headers=ADMIN)
    assert response.status_code == 404
    assert response.json()["detail"] == "user 999999 does not exist"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"segment": FALLBACK, "reason": "   "}, "reason"),
        ({"segment": FALLBACK}, "reason"),
        ({"segment": "WHALE", "reason": "big spender"}, "segment"),
        ({"segment": "", "reason": "big spender"}, "segment"),
        ({"segment": FALLBACK, "reason": "x", "expires_at": "2001-01-01T00:00:00Z"}, "expires_at"),
        ({"segment": FALLBACK, "reason": "x", "expires_at": "2999-01-01T00:00:00"}, "expires_at"),
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
    if body.get("segment") == "WHALE":
        assert response.json()["detail"][0]["msg"] == (
            f"unknown segment 'WHALE': the published catalogue holds {', '.join(NAMES)}"
        )
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
        "/admin/api/users/999999/segment", json={"segment": FALLBACK, "reason": "x"}, headers=ADMIN
    )
    assert response.status_code == 404


async def test_override_takes_the_catalogue_spelling(
    client: httpx.AsyncClient, engine: Engine
) -> None:
    response = await client.put(
        f"/admin/api/users/{COHORT.new}/segment",
        json={"segment": FALLBACK.lower(), "reason": "typed in lower case"},
        headers=ADMIN,
    )
    try:
        assert response.status_code == 200, response.text
        assert response.json()["segment"] == FALLBACK
        body = await get_json(client, f"/admin/api/users/{COHORT.new}/segment", ADMIN)
        assert (body["segment"], body["is_override"]) == (FALLBACK, True)
        assert body["override"]["applies"] is True
        assert body["summary"].startswith(f"{FALLBACK}: set by an admin override")
        assert not any(check["decisive"] for check in body["rules"])
    finally:
        with engine.begin() as connection:
            connection.execute(text("delete from app.segment_override_audit"))
            connection.execute(text("delete from app.segment_overrides"))


async def test_expired_override_does_not_count(client: httpx.AsyncClient, engine: Engine) -> None:
    published, _, _ = published_segment_of(engine, COHORT.new)
    with engine.begin() as connection:
        connection.execute(
            text(
                "insert into app.segment_overrides (user_id, segment, reason, expires_at, "
                "created_by) values "
                "(:user_id, :segment, 'old campaign', now() - interval '1 hour', '3')"
            ),
            {"user_id": COHORT.new, "segment": FALLBACK},
        )
    try:
        body = await get_json(client, f"/admin/api/users/{COHORT.new}/segment", ADMIN)
        assert (body["segment"], body["is_override"], body["override"]) == (published, False, None)
    finally:
        with engine.begin() as connection:
            connection.execute(text("delete from app.segment_overrides"))


async def test_export_streams_the_whole_segment_as_csv(client: httpx.AsyncClient) -> None:
    response = await client.get(f"/admin/api/segments/{FALLBACK.lower()}/export", headers=ADMIN)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert f"segment-{FALLBACK}-" in response.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [int(row["user_id"]) for row in rows] == sorted([COHORT.active, *COHORT.active_ids])
    assert {row["segment"] for row in rows} == {FALLBACK}
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
        page = await get_json(client, "/admin/api/segments/changes", ADMIN, **params)
        seen += [item["change_id"] for item in page["items"]]
        if not page["has_more"]:
            break
        cursor = page["next_cursor"]
    assert seen == list(expected)
    # Polling again from the last cursor returns nothing new and keeps the cursor.
    last = page["next_cursor"]
    again = await get_json(client, "/admin/api/segments/changes", ADMIN, since=last)
    assert again["items"] == [] and again["next_cursor"] == last
    first = (await get_json(client, "/admin/api/segments/changes", ADMIN, limit=1))["items"][0]
    assert first["from_segment"] is None


async def test_change_feed_since_time_and_bad_since(client: httpx.AsyncClient) -> None:
    future = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    later = await get_json(client, "/admin/api/segments/changes", ADMIN, since=future)
    assert later["items"] == []
    past = (datetime.now(UTC) - timedelta(days=1)).isoformat()
    earlier = await get_json(client, "/admin/api/segments/changes", ADMIN, since=past)
    assert len(earlier["items"]) == 30
    bad = await client.get(
        "/admin/api/segments/changes", params={"since": "yesterday"}, headers=ADMIN
    )
    assert bad.status_code == 400
    assert "ISO 8601" in bad.json()["detail"]
