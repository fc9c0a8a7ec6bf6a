"""Overrides end to end: visible at once, audited, honoured by the next real dbt build."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import Engine, text

from tests.admin.published import COHORT, publish
from tests.support.auth import admin_headers

pytestmark = [pytest.mark.anyio, pytest.mark.usefixtures("published_cohort")]

ADMIN_SUBJECT = 4242
ADMIN = admin_headers(ADMIN_SUBJECT)
USER = COHORT.active


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
    expires = datetime.now(UTC) + timedelta(days=14)
    reason = "<b>Whale</b> from the partner casino"
    put = await client.put(
        f"/admin/api/users/{USER}/segment",
        json={"segment": "VIP", "reason": reason, "expires_at": expires.isoformat()},
        headers=ADMIN,
    )
    assert put.status_code == 200, put.text
    assert put.json()["created_by"] == str(ADMIN_SUBJECT)

    # Visible at once, before any pipeline run.
    live = await user_segment(client)
    assert (live["segment"], live["rule"], live["is_override"]) == ("VIP", "override", True)
    assert live["override"]["reason"] == reason
    assert datetime.fromisoformat(live["override"]["expires_at"]) == expires
    assert live["published_segment"] == "ACTIVE"
    assert "next run" in live["pending"]
    assert audit_rows(engine) == [("set", "VIP", reason, str(ADMIN_SUBJECT))]

    # The next pipeline run publishes it.
    publish()
    published = await user_segment(client)
    assert (published["published_segment"], published["published_rule"]) == ("VIP", "override")
    assert published["pending"] is None

    history = (await client.get(f"/admin/api/users/{USER}/segment/history", headers=ADMIN)).json()
    assert [(p["segment"], p["rule"]) for p in history["periods"]] == [
        ("ACTIVE", "active"),
        ("VIP", "override"),
    ]
    assert history["periods"][0]["valid_to"] == history["periods"][1]["valid_from"]
    assert history["periods"][1]["valid_to"] is None
    assert [e["action"] for e in history["override_events"]] == ["set"]

    recent = (
        await client.get("/admin/api/segments/changes/recent", params={"limit": 5}, headers=ADMIN)
    ).json()
    assert any(
        (c["user_id"], c["from_segment"], c["to_segment"]) == (USER, "ACTIVE", "VIP")
        for c in recent
    )

    sizes = (await client.get("/admin/api/segments/sizes", headers=ADMIN)).json()["points"]
    assert [point["sizes"]["VIP"] for point in sizes] == [1, 2]
    assert [point["sizes"]["ACTIVE"] for point in sizes] == [26, 25]

    # Clearing: audited with the admin's subject, gone from the live answer at once.
    cleared = await client.delete(f"/admin/api/users/{USER}/segment/override", headers=ADMIN)
    assert cleared.status_code == 200
    assert cleared.json()["segment"] == "VIP"
    after = await user_segment(client)
    assert after["is_override"] is False and after["override"] is None
    assert after["published_rule"] == "override"
    assert "recomputes" in after["pending"]
    assert audit_rows(engine)[-1] == ("clear", "VIP", None, str(ADMIN_SUBJECT))
    again = await client.delete(f"/admin/api/users/{USER}/segment/override", headers=ADMIN)
    assert again.status_code == 404
    assert "no segment override" in again.json()["detail"]

    publish()
    back = await user_segment(client)
    assert (back["segment"], back["rule"], back["pending"]) == ("ACTIVE", "active", None)
