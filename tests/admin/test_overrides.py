"""Overrides end to end: visible at once, audited, honoured by the next real dbt build."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import Engine, text

from tests.support.auth import admin_headers
from tests.support.cohort import COHORT, publish, published_segment_of
from tests.support.segments import declared_segments

pytestmark = [pytest.mark.anyio, pytest.mark.usefixtures("published_cohort")]

ADMIN_SUBJECT = 4242
ADMIN = admin_headers(ADMIN_SUBJECT)
USER = COHORT.active
# The ordinary player gets the fallback, the last declared entry.
FALLBACK = declared_segments()[-1]["name"]


async def user_segment(client: httpx.AsyncClient) -> dict:  # type: ignore[type-arg]
    response = await client.get(f"/admin/api/users/{USER}/segment", headers=ADMIN)
    assert response.status_code == 200, response.text
    return response.json()


def audit_rows(engine: Engine) -> list[tuple]:  # type: ignore[type-arg]
    with engine.connect() as connection:
        return [
            tuple(row)
            for row in connection.execute(
                text(
                    "select action, segment, reason, actor from app.segment_override_audit "
                    "where user_id = :user_id order by id"
                ),
                {"user_id": USER},
            )
        ]


async def test_override_lifecycle(client: httpx.AsyncClient, engine: Engine) -> None:
    # The override moves the ordinary player into the segment the big depositor got.
    target, _, _ = published_segment_of(engine, COHORT.vip)
    assert target != FALLBACK
    expires = datetime.now(UTC) + timedelta(days=14)
    reason = "<b>Whale</b> from the partner casino"
    put = await client.put(
        f"/admin/api/users/{USER}/segment",
        json={"segment": target, "reason": reason, "expires_at": expires.isoformat()},
        headers=ADMIN,
    )
    assert put.status_code == 200, put.text
    assert put.json()["created_by"] == str(ADMIN_SUBJECT)

    # Visible at once, before any pipeline run.
    live = await user_segment(client)
    assert (live["segment"], live["rule"], live["is_override"]) == (target, "override", True)
    assert live["override"]["reason"] == reason
    assert datetime.fromisoformat(live["override"]["expires_at"]) == expires
    assert live["published_segment"] == FALLBACK
    assert "next run" in live["pending"]
    assert audit_rows(engine) == [("set", target, reason, str(ADMIN_SUBJECT))]

    # The next pipeline run publishes it.
    publish()
    published = await user_segment(client)
    assert (published["published_segment"], published["published_rule"]) == (target, "override")
    assert published["pending"] is None

    history = (await client.get(f"/admin/api/users/{USER}/segment/history", headers=ADMIN)).json()
    assert [(p["segment"], p["rule"]) for p in history["periods"]] == [
        (FALLBACK, FALLBACK.lower()),
        (target, "override"),
    ]
    assert history["periods"][0]["valid_to"] == history["periods"][1]["valid_from"]
    assert history["periods"][1]["valid_to"] is None
    assert [e["action"] for e in history["override_events"]] == ["set"]

    recent = (
        await client.get("/admin/api/segments/changes/recent", params={"limit": 5}, headers=ADMIN)
    ).json()
    assert any(
        (c["user_id"], c["from_segment"], c["to_segment"]) == (USER, FALLBACK, target)
        for c in recent
    )

    sizes = (await client.get("/admin/api/segments/sizes", headers=ADMIN)).json()["points"]
    assert [point["sizes"][target] for point in sizes] == [1, 2]
    declared = {entry["name"] for entry in declared_segments()}
    assert all(set(point["sizes"]) == declared for point in sizes)
    assert [point["sizes"][FALLBACK] for point in sizes] == [26, 25]

    # Clearing: audited with the admin's subject, gone from the live answer at once.
    cleared = await client.delete(f"/admin/api/users/{USER}/segment/override", headers=ADMIN)
    assert cleared.status_code == 200
    assert cleared.json()["segment"] == target
    after = await user_segment(client)
    assert after["is_override"] is False and after["override"] is None
    assert after["published_rule"] == "override"
    assert "recomputes" in after["pending"]
    # The run evaluated the rules before the override: they say where the player goes next.
    assert after["rules_segment"] == FALLBACK
    assert "cleared or expired" in after["summary"]
    assert audit_rows(engine)[-1] == ("clear", target, None, str(ADMIN_SUBJECT))
    again = await client.delete(f"/admin/api/users/{USER}/segment/override", headers=ADMIN)
    assert again.status_code == 404
    assert "no segment override" in again.json()["detail"]

    publish()
    back = await user_segment(client)
    assert (back["segment"], back["rule"], back["pending"]) == (FALLBACK, FALLBACK.lower(), None)
