"""Analysts own the segments: two entries added to `pulse__segments`, and nothing else
edited, reach every surface of Pulse.

A copy of the checkout gets two new entries in `dbt_project/dbt_project.yml` (a
threshold rule before VIP, a rule that depends on time before DORMANT_LONG); no other
file of the copy differs. Players are seeded through the real API served by uvicorn;
the copy's `scripts/segment_users.py` refreshes the segments as an operator runs it.
A full refresh at T1 (a replay of a moment two days ago) finds the lapsed roulette
player still ACTIVE; the next refresh, at the present (T2, two days later), finds them
in ROULETTE_LAPSED with no new data. The admin API then lists, explains, pages,
exports, overrides and records the new segments from the published catalogue alone.

A replay of a past moment leaves the membership history and the change feed alone
(`orchestration/jobs.py`), so both start at the present run: the lapsed player's first
recorded version is their entry into ROULETTE_LAPSED. The override, published by a
third refresh, is a move from one recorded version to the next.
"""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from playwright.sync_api import expect

from ingest.tokens import make_token
from pulse.settings import PROJECT_ROOT
from tests.support.auth import admin_headers, user_headers
from tests.support.browser import chromium
from tests.support.checkout import (
    REFRESH_PARTS,
    copy_checkout,
    files_differing_from_checkout,
    run_segment_refresh,
)
from tests.support.live_server import LiveServer, live_server
from tests.support.segments import SEGMENTS_VAR, declared_segments, expected_catalogue, insert_entry

pytestmark = pytest.mark.slow

PROJECT_FILE = "dbt_project/dbt_project.yml"
ADMIN_SUBJECT = 41
ADMIN = admin_headers(ADMIN_SUBJECT)
WHALE = {
    "name": "WHALE",
    "when": "deposit_30d >= 5000000",
    "description": "Players who deposited 5,000,000 or more in the last 30 days.",
    "description_ko": "최근 30일 동안 5,000,000 이상 입금한 플레이어.",
}
ROULETTE_LAPSED = {
    "name": "ROULETTE_LAPSED",
    "when": "last_play_at <= as_of - interval '3 days' and roulette_plays >= 30",
    "description": "Roulette regulars who have not played for three days.",
    "description_ko": "룰렛을 30번 이상 했지만 3일 동안 플레이하지 않은 플레이어.",
}
# Where each goes: before the shipped entry it must win over.
ADDED = ((WHALE, "VIP"), (ROULETTE_LAPSED, "DORMANT_LONG"))

# The players, each signed up 60 days before T1.
WHALE_PLAYER = 301  # deposits 6,000,000: both WHALE and VIP hold
VIP_PLAYER = 302  # deposits 2,000,000: VIP only
LAPSED_PLAYER = 303  # 30 roulette plays, the last two days before T1
CASUAL_PLAYER = 304  # 5 roulette plays at the same times: too few to be a regular
OVERRIDDEN_PLAYER = 305  # logs in a day before T1; an admin moves them to WHALE
PLAYERS = (WHALE_PLAYER, VIP_PLAYER, LAPSED_PLAYER, CASUAL_PLAYER, OVERRIDDEN_PLAYER)


def expected_declaration() -> list[dict[str, Any]]:
    """The shipped declaration with the two entries where the analyst put them."""
    entries = declared_segments()
    for entry, before in ADDED:
        position = [existing["name"] for existing in entries].index(before)
        entries.insert(position, entry)
    return entries


@pytest.fixture
def analysts_checkout(tmp_path: Path) -> Path:
    """A copy of the checkout whose only edit is the two entries in pulse__segments."""
    checkout = copy_checkout(tmp_path / "checkout", REFRESH_PARTS)
    project_file = checkout / PROJECT_FILE
    text = project_file.read_text()
    for entry, before in ADDED:
        text = insert_entry(text, entry, before)
    project_file.write_text(text)
    return checkout


@pytest.fixture
def migrated_scratch_database(scratch_database: str) -> str:
    """A database of its own, migrated the way production is (Alembic in a subprocess)."""
    subprocess.run(
        [sys.executable, "-m", "alembic", "upgrade", "head"],
        cwd=PROJECT_ROOT,
        env={**os.environ, "DATABASE_URL": scratch_database},
        check=True,
        capture_output=True,
    )
    return scratch_database


@pytest.fixture
def server(migrated_scratch_database: str, tmp_path: Path) -> Iterator[LiveServer]:
    with live_server(
        tmp_path / "uvicorn.log", env={"DATABASE_URL": migrated_scratch_database}
    ) as running:
        yield running


@pytest.fixture
def api(server: LiveServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.base_url, timeout=30) as client:
        yield client


def iso(moment: datetime) -> str:
    return moment.isoformat()


def seed_players(api: httpx.Client, t1: datetime) -> None:
    """Sign-ups, deposits and plays through the API, as the platform sends them."""
    day = timedelta(days=1)
    for user_id in PLAYERS:
        signed_up = api.put(
            f"/admin/api/users/{user_id}", json={"created_at": iso(t1 - 60 * day)}, headers=ADMIN
        )
        assert signed_up.status_code == 201, signed_up.text
    for user_id, amount in ((WHALE_PLAYER, 6_000_000), (VIP_PLAYER, 2_000_000)):
        deposited = api.put(
            f"/admin/api/external-ranking/{user_id}",
            json={"deposit_amount": amount, "updated_at": iso(t1 - 5 * day)},
            headers=ADMIN,
        )
        assert deposited.status_code == 200, deposited.text
    last_play = t1 - 2 * day
    plays = {
        WHALE_PLAYER: [("roulette_play", t1 - day)] * 3,
        VIP_PLAYER: [("dice_play", t1 - day)],
        LAPSED_PLAYER: [
            ("roulette_play", last_play - hours * timedelta(hours=1)) for hours in range(30)
        ],
        CASUAL_PLAYER: [
            ("roulette_play", last_play - hours * timedelta(hours=1)) for hours in range(5)
        ],
        OVERRIDDEN_PLAYER: [("login", t1 - day)],
    }
    for user_id, events in plays.items():
        sent = api.post(
            "/api/activity/batch",
            json={
                "events": [
                    {"event_id": str(uuid.uuid4()), "event_type": kind, "occurred_at": iso(at)}
                    for kind, at in events
                ]
            },
            headers=user_headers(user_id),
        )
        assert sent.status_code == 202, sent.text


def refresh(checkout: Path, dagster_home: Path, database_url: str, *args: str) -> dict[str, Any]:
    completed = run_segment_refresh(checkout, dagster_home, database_url, *args)
    assert completed.returncode == 0, completed.stderr[-4000:]
    summary: dict[str, Any] = json.loads(completed.stdout)
    return summary


def get_json(api: httpx.Client, path: str, **params: Any) -> Any:
    response = api.get(path, params=params, headers=ADMIN)
    assert response.status_code == 200, f"{path}: {response.status_code} {response.text}"
    return response.json()


def sizes(api: httpx.Client) -> list[tuple[str, int]]:
    return [
        (entry["segment"], entry["users"])
        for entry in get_json(api, "/admin/api/segments")["segments"]
    ]


def held(explanation: dict[str, Any]) -> list[str]:
    return [check["segment"] for check in explanation["rules"] if check["held"]]


def members(api: httpx.Client, segment: str) -> list[int]:
    page = get_json(api, f"/admin/api/segments/{segment.lower()}/users")
    assert page["segment"] == segment
    return [item["user_id"] for item in page["items"]]


def exported(api: httpx.Client, segment: str) -> list[int]:
    response = api.get(f"/admin/api/segments/{segment}/export", headers=ADMIN)
    assert response.status_code == 200, response.text
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert {row["segment"] for row in rows} <= {segment}
    return [int(row["user_id"]) for row in rows]


def test_two_segments_declared_in_dbt_project_yml_reach_every_surface(
    analysts_checkout: Path,
    migrated_scratch_database: str,
    server: LiveServer,
    api: httpx.Client,
    tmp_path: Path,
) -> None:
    # The declaration is the only edit: one file differs, and in it only pulse__segments.
    assert files_differing_from_checkout(analysts_checkout, REFRESH_PARTS) == [PROJECT_FILE]
    original = yaml.safe_load((PROJECT_ROOT / PROJECT_FILE).read_text())
    edited = yaml.safe_load((analysts_checkout / PROJECT_FILE).read_text())
    assert edited["vars"].pop(SEGMENTS_VAR) == expected_declaration()
    original["vars"].pop(SEGMENTS_VAR)
    assert edited == original

    declaration = expected_declaration()
    names = [entry["name"] for entry in declaration]
    fallback = names[-1]
    dagster_home = tmp_path / "dagster"
    t1 = (datetime.now(UTC) - timedelta(days=2)).replace(microsecond=0)
    seed_players(api, t1)

    # T1: a full refresh of the moment two days ago. The lapsed player played two days
    # before it: not yet lapsed.
    first = refresh(
        analysts_checkout,
        dagster_home,
        migrated_scratch_database,
        "--full-refresh",
        "--as-of",
        iso(t1),
    )
    assert datetime.fromisoformat(first["as_of"]) == t1
    at_t1 = dict(sizes(api))
    assert (at_t1["WHALE"], at_t1["VIP"], at_t1["ROULETTE_LAPSED"]) == (1, 1, 0)
    lapsed_at_t1 = get_json(api, f"/admin/api/users/{LAPSED_PLAYER}/segment")
    assert (lapsed_at_t1["segment"], held(lapsed_at_t1)) == (fallback, [fallback])

    # T2 = T1 + 2 days: the present, no new data. The time-based rule now holds.
    second = refresh(analysts_checkout, dagster_home, migrated_scratch_database)
    t2 = datetime.fromisoformat(second["as_of"])
    assert t2 - t1 >= timedelta(days=2)

    # Sizes: every declared segment, new ones included, in priority order.
    assert sizes(api) == [
        (name, {"WHALE": 1, "VIP": 1, "ROULETTE_LAPSED": 1, fallback: 2}.get(name, 0))
        for name in names
    ]

    # The catalogue: the analyst's when, descriptions, in order.
    catalogue = get_json(api, "/admin/api/segments/catalogue")
    assert [
        (
            entry["priority"],
            entry["name"],
            entry["rule"],
            entry["when"],
            entry["description"],
            entry["description_ko"],
            entry["is_fallback"],
        )
        for entry in catalogue["entries"]
    ] == expected_catalogue(declaration)

    # Members and CSV export of the new segments.
    assert members(api, "WHALE") == exported(api, "WHALE") == [WHALE_PLAYER]
    assert members(api, "ROULETTE_LAPSED") == exported(api, "ROULETTE_LAPSED") == [LAPSED_PLAYER]
    assert members(api, "VIP") == [VIP_PLAYER]
    assert members(api, fallback) == [CASUAL_PLAYER, OVERRIDDEN_PLAYER]

    # The explanation walks every catalogue entry in order.
    whale = get_json(api, f"/admin/api/users/{WHALE_PLAYER}/segment")
    assert (whale["segment"], whale["rule"]) == ("WHALE", "whale")
    assert [
        (check["segment"], check["when"], check["description_ko"]) for check in whale["rules"]
    ] == [(entry["name"], entry.get("when"), entry.get("description_ko")) for entry in declaration]
    assert held(whale) == ["WHALE", "VIP"]
    assert [check["segment"] for check in whale["rules"] if check["decisive"]] == ["WHALE"]
    assert whale["summary"] == f"WHALE: first rule that holds: `{WHALE['when']}`."
    lapsed = get_json(api, f"/admin/api/users/{LAPSED_PLAYER}/segment")
    assert (lapsed["segment"], lapsed["rule"], held(lapsed)) == (
        "ROULETTE_LAPSED",
        "roulette_lapsed",
        ["ROULETTE_LAPSED"],
    )
    assert lapsed["summary"] == (
        f"ROULETTE_LAPSED: first rule that holds: `{ROULETTE_LAPSED['when']}`."
    )
    casual = get_json(api, f"/admin/api/users/{CASUAL_PLAYER}/segment")
    assert held(casual) == [fallback]

    # The change feed and the history record the entry into ROULETTE_LAPSED: the first
    # versions the history holds (the replay at T1 recorded none).
    feed = get_json(api, "/admin/api/segments/changes")
    moves = {item["user_id"]: (item["from_segment"], item["to_segment"]) for item in feed["items"]}
    assert moves == {
        WHALE_PLAYER: (None, "WHALE"),
        VIP_PLAYER: (None, "VIP"),
        LAPSED_PLAYER: (None, "ROULETTE_LAPSED"),
        CASUAL_PLAYER: (None, fallback),
        OVERRIDDEN_PLAYER: (None, fallback),
    }
    history = get_json(api, f"/admin/api/users/{LAPSED_PLAYER}/segment/history")
    assert [
        (period["segment"], period["rule"], period["valid_to"]) for period in history["periods"]
    ] == [("ROULETTE_LAPSED", "roulette_lapsed", None)]

    # An override to a new segment: accepted at once, published by the next refresh.
    overridden = api.put(
        f"/admin/api/users/{OVERRIDDEN_PLAYER}/segment",
        json={"segment": "whale", "reason": "partner casino high roller"},
        headers=ADMIN,
    )
    assert overridden.status_code == 200, overridden.text
    assert overridden.json()["segment"] == "WHALE"
    live = get_json(api, f"/admin/api/users/{OVERRIDDEN_PLAYER}/segment")
    assert (live["segment"], live["is_override"], live["published_segment"]) == (
        "WHALE",
        True,
        fallback,
    )

    refresh(analysts_checkout, dagster_home, migrated_scratch_database)
    published = get_json(api, f"/admin/api/users/{OVERRIDDEN_PLAYER}/segment")
    assert (published["published_segment"], published["published_rule"], published["pending"]) == (
        "WHALE",
        "override",
        None,
    )
    assert members(api, "WHALE") == [WHALE_PLAYER, OVERRIDDEN_PLAYER]
    later = get_json(api, "/admin/api/segments/changes", since=feed["next_cursor"])
    assert [
        (item["user_id"], item["from_segment"], item["to_segment"]) for item in later["items"]
    ] == [(OVERRIDDEN_PLAYER, fallback, "WHALE")]
    history = get_json(api, f"/admin/api/users/{OVERRIDDEN_PLAYER}/segment/history")
    assert [(period["segment"], period["rule"]) for period in history["periods"]] == [
        (fallback, fallback.lower()),
        ("WHALE", "override"),
    ]
    assert [(event["action"], event["segment"]) for event in history["override_events"]] == [
        ("set", "WHALE")
    ]

    check_console(server.base_url, declaration)

    # The runs edited nothing either: still the one declared change.
    assert files_differing_from_checkout(analysts_checkout, REFRESH_PARTS) == [PROJECT_FILE]


def check_console(base_url: str, declaration: list[dict[str, Any]]) -> None:
    """The console's sizes, legend, override picker and Rules view list the new segments,
    each in a colour of its own; the Rules view gives their descriptions in the browser's
    language (English or Korean)."""
    names = [entry["name"] for entry in declaration]
    token = make_token(ADMIN_SUBJECT, admin=True)
    with chromium() as browser:
        for locale, description in (("en-US", "description"), ("ko-KR", "description_ko")):
            context = browser.new_context(locale=locale, viewport={"width": 1280, "height": 900})
            page = context.new_page()
            page.goto(f"{base_url}/admin")
            page.evaluate("token => sessionStorage.setItem('pulse.adminToken', token)", token)
            page.reload()
            expect(page.locator("#app")).to_be_visible()
            expect(page.locator("#segment-table tbody .badge")).to_have_text(names)
            expect(page.locator("#chart-legend li")).to_have_count(len(names))
            legend = page.eval_on_selector_all(
                "#chart-legend li", "items => items.map(item => item.dataset.segment)"
            )
            assert legend == names
            colours = page.eval_on_selector_all(
                "#segment-table tbody .badge",
                "nodes => nodes.map(node => getComputedStyle(node).backgroundColor)",
            )
            assert len(set(colours)) == len(names)
            expect(page.locator("#override-segment option")).to_have_text(names)

            page.click("#view-rules")
            rows = page.locator("#catalogue-table tbody tr")
            expect(rows.locator(".badge")).to_have_text(names)
            for index, entry in enumerate(declaration):
                if entry in (WHALE, ROULETTE_LAPSED):
                    row = rows.nth(index)
                    expect(row.locator("td").nth(2)).to_have_text(entry["when"])
                    expect(row.locator("td.description")).to_have_text(entry[description])
            context.close()
