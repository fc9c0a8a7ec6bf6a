"""The admin API follows whatever catalogue the pipeline published, names it has never seen too.

The cohort is published with a declaration of its own (`pulse__segments` passed to the
real dbt build): new names, an entry no player matches, and none of the shipped
segments. One player holds an override of a shipped segment the new catalogue no longer
declares: the pipeline ignores it, the API shows it as not applied, the admin clears it.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import httpx
import pytest
from sqlalchemy import Engine, text

from tests.support.api import get_json
from tests.support.auth import admin_headers
from tests.support.cohort import (
    COHORT,
    drop_published,
    publish,
    recent_moment,
    reset_app_tables,
    seed_cohort,
)
from tests.support.segments import declared_segments

pytestmark = [pytest.mark.anyio, pytest.mark.usefixtures("custom_catalogue")]

ADMIN_SUBJECT = 77
ADMIN = admin_headers(ADMIN_SUBJECT)
CUSTOM = [
    {
        "name": "HIGH_ROLLER",
        "when": "deposit_30d >= 1000000",
        "description": "Deposited a million or more in 30 days.",
        "description_ko": "30일 동안 100만 이상 입금.",
    },
    {
        "name": "NEVER_MATCHES",
        "when": "roulette_plays > 1000000",
        "description": "Nobody in this cohort.",
    },
    {
        "name": "LAPSED",
        "when": "last_active_at <= as_of - interval '30 days'",
        "description": "Idle for 30 days or more.",
    },
    {"name": "EVERYONE_ELSE", "description": "The rest."},
]
NAMES = [entry["name"] for entry in CUSTOM]
VALID = ", ".join(NAMES)
# A shipped segment the custom declaration drops: the seeded override names it.
REMOVED = declared_segments()[0]["name"]
assert REMOVED not in NAMES


@pytest.fixture(scope="module")
def custom_catalogue(engine: Engine) -> Iterator[datetime]:
    drop_published(engine)
    reset_app_tables(engine)
    as_of = recent_moment()
    seed_cohort(engine, as_of)
    with engine.begin() as connection:
        connection.execute(
            text(
                "insert into app.segment_overrides (user_id, segment, reason, created_by) values "
                "(:removed_user, :removed, 'old campaign', 'ops'), "
                "(:kept_user, 'HIGH_ROLLER', 'partner casino', 'ops')"
            ),
            {"removed_user": COHORT.dormant_short, "removed": REMOVED, "kept_user": COHORT.new},
        )
    publish(as_of, segments=CUSTOM)
    yield as_of
    drop_published(engine)
    reset_app_tables(engine)


async def test_sizes_catalogue_and_history_list_the_published_entries(
    client: httpx.AsyncClient,
) -> None:
    summary = await get_json(client, "/admin/api/segments", ADMIN)
    sizes = [(entry["segment"], entry["users"]) for entry in summary["segments"]]
    assert [name for name, _ in sizes] == NAMES
    assert dict(sizes)["NEVER_MATCHES"] == 0
    assert sum(users for _, users in sizes) == summary["total_users"] == 30

    catalogue = await get_json(client, "/admin/api/segments/catalogue", ADMIN)
    assert [
        (entry["name"], entry["when"], entry["description_ko"], entry["is_fallback"])
        for entry in catalogue["entries"]
    ] == [
        (entry["name"], entry.get("when"), entry.get("description_ko"), "when" not in entry)
        for entry in CUSTOM
    ]
    assert [entry["users"] for entry in catalogue["entries"]] == [users for _, users in sizes]

    history = await get_json(client, "/admin/api/segments/sizes", ADMIN)
    assert [set(point["sizes"]) for point in history["points"]] == [set(NAMES)]


async def test_members_and_export_know_only_the_published_names(
    client: httpx.AsyncClient,
) -> None:
    empty = await get_json(client, "/admin/api/segments/never_matches/users", ADMIN)
    assert (empty["segment"], empty["items"], empty["next_cursor"]) == ("NEVER_MATCHES", [], None)
    export = await client.get("/admin/api/segments/NEVER_MATCHES/export", headers=ADMIN)
    assert export.status_code == 200
    assert export.text.splitlines()[0].startswith("user_id,segment,")
    for route in ("users", "export"):
        gone = await client.get(f"/admin/api/segments/{REMOVED}/{route}", headers=ADMIN)
        assert gone.status_code == 404
        assert gone.json()["detail"] == (
            f"unknown segment '{REMOVED}': the published catalogue holds {VALID}"
        )


async def test_explanation_walks_the_published_entries(client: httpx.AsyncClient) -> None:
    lapsed = await get_json(client, f"/admin/api/users/{COHORT.dormant_long}/segment", ADMIN)
    assert (lapsed["segment"], lapsed["rule"]) == ("LAPSED", "lapsed")
    assert [(c["segment"], c["held"], c["decisive"]) for c in lapsed["rules"]] == [
        ("HIGH_ROLLER", False, False),
        ("NEVER_MATCHES", False, False),
        ("LAPSED", True, True),
        ("EVERYONE_ELSE", False, False),
    ]
    assert lapsed["summary"] == (
        "LAPSED: first rule that holds: `last_active_at <= as_of - interval '30 days'`."
    )

    # An override of a published segment applies; the rules still say what they gave.
    kept = await get_json(client, f"/admin/api/users/{COHORT.new}/segment", ADMIN)
    assert (kept["segment"], kept["rule"], kept["is_override"]) == ("HIGH_ROLLER", "override", True)
    assert kept["override"]["applies"] is True
    assert kept["rules_segment"] == "EVERYONE_ELSE"
    assert [c["segment"] for c in kept["rules"] if c["held"]] == ["EVERYONE_ELSE"]


async def test_override_of_a_removed_segment_is_shown_as_ignored_and_can_be_cleared(
    client: httpx.AsyncClient, engine: Engine
) -> None:
    user = COHORT.dormant_short
    summary = await get_json(client, "/admin/api/segments", ADMIN)
    assert (summary["live_overrides"], summary["ignored_overrides"]) == (2, 1)

    body = await get_json(client, f"/admin/api/users/{user}/segment", ADMIN)
    # The pipeline ignored it: the rules decided, and the API says the same.
    assert (body["published_segment"], body["published_rule"]) == ("EVERYONE_ELSE", "everyone_else")
    assert (body["segment"], body["rule"], body["is_override"]) == (
        "EVERYONE_ELSE",
        "everyone_else",
        False,
    )
    assert body["pending"] is None
    override = body["override"]
    assert (override["segment"], override["applies"]) == (REMOVED, False)
    assert override["not_applied_reason"].startswith(
        f"segment '{REMOVED}' is not in the published catalogue ({VALID})"
    )

    # It cannot be set again...
    again = await client.put(
        f"/admin/api/users/{user}/segment",
        json={"segment": REMOVED, "reason": "renew the campaign"},
        headers=ADMIN,
    )
    assert again.status_code == 422
    assert again.json()["detail"][0]["msg"] == (
        f"unknown segment '{REMOVED}': the published catalogue holds {VALID}"
    )
    # ...but it can be cleared, with an audit row, or replaced by a published segment.
    cleared = await client.delete(f"/admin/api/users/{user}/segment/override", headers=ADMIN)
    assert cleared.status_code == 200, cleared.text
    assert cleared.json()["segment"] == REMOVED
    assert (await get_json(client, f"/admin/api/users/{user}/segment", ADMIN))["override"] is None
    replaced = await client.put(
        f"/admin/api/users/{user}/segment",
        json={"segment": "lapsed", "reason": "win-back campaign"},
        headers=ADMIN,
    )
    assert replaced.status_code == 200, replaced.text
    assert replaced.json()["segment"] == "LAPSED"
    with engine.connect() as connection:
        audit = connection.execute(
            text(
                "select action, segment from app.segment_override_audit "
                "where user_id = :user_id order by id"
            ),
            {"user_id": user},
        ).all()
    assert [tuple(row) for row in audit] == [("clear", REMOVED), ("set", "LAPSED")]
