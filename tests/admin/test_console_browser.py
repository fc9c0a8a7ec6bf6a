"""The console in real headless Chromium against a real uvicorn: sign in, chart, lookup,
set and clear an override. A screenshot is kept under test-artifacts/ (not committed)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect, sync_playwright
from sqlalchemy import Engine, text

from ingest.config import PROJECT_ROOT
from ingest.tokens import make_token
from tests.admin.published import COHORT

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = PROJECT_ROOT / "test-artifacts"
ADMIN_SUBJECT = 31
HOSTILE_REASON = '<img src=x onerror="window.pwned=1"> loyal since 2019'

pytestmark = pytest.mark.usefixtures("published_cohort")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def server_url() -> Iterator[str]:
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "ingest.main:app",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ],
        cwd=PROJECT_ROOT,
        env=os.environ.copy(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        else:
            raise RuntimeError("uvicorn did not start")
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture(scope="module")
def browser_page(server_url: str) -> Iterator[Page]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (see .ci/run)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        yield page
        browser.close()


def test_console_lookup_override_and_chart(
    browser_page: Page, server_url: str, engine: Engine
) -> None:
    page = browser_page
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.goto(f"{server_url}/admin")

    # A player token is refused with a clear message.
    page.fill("#token", make_token(COHORT.vip))
    page.click("#sign-in-form button")
    expect(page.locator("#error")).to_contain_text("admin")

    token = make_token(ADMIN_SUBJECT, admin=True)
    page.fill("#token", token)
    page.click("#sign-in-form button")
    expect(page.locator("#app")).to_be_visible()
    expect(page.locator("#segment-table tbody tr")).to_have_count(5)
    expect(page.locator("#segment-table")).to_contain_text("DORMANT_LONG")
    expect(page.locator("#freshness")).to_contain_text("fresh")
    # The chart is drawn: one line per segment.
    expect(page.locator("#chart-svg path.series")).to_have_count(5)
    expect(page.locator("#changes-table tbody tr")).to_have_count(25)

    page.fill("#lookup-user-id", str(COHORT.vip))
    page.click("#lookup-form button")
    expect(page.locator("#user-segment")).to_have_text("VIP")
    expect(page.locator("#user-summary")).to_contain_text("VIP")
    expect(page.locator("#rules-table tr.decisive")).to_contain_text("VIP")
    expect(page.locator("#activity-table")).to_contain_text("roulette plays")

    page.fill("#lookup-user-id", str(COHORT.dormant_long))
    page.click("#lookup-form button")
    expect(page.locator("#user-segment")).to_have_text("DORMANT_LONG")
    page.select_option("#override-segment", "VIP")
    page.fill("#override-reason", HOSTILE_REASON)
    page.click("#override-save")
    expect(page.locator("#user-override-flag")).to_be_visible()
    expect(page.locator("#user-segment")).to_have_text("VIP")
    expect(page.locator("#notice")).to_contain_text("Override saved")
    # The reason is shown as text, not parsed as HTML.
    expect(page.locator("#override-current .override-reason")).to_have_text(HOSTILE_REASON)
    assert page.locator("#override-current img").count() == 0
    assert page.evaluate("window.pwned") is None
    expect(page.locator("#events-table")).to_contain_text("set")

    with engine.connect() as connection:
        actor = connection.execute(
            text("select actor from app.segment_override_audit where user_id = :id"),
            {"id": COHORT.dormant_long},
        ).scalar_one()
    assert actor == str(ADMIN_SUBJECT)

    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "admin-console.png"), full_page=True)

    page.click("#override-clear")
    expect(page.locator("#notice")).to_contain_text("Override cleared")
    expect(page.locator("#user-override-flag")).to_be_hidden()
    expect(page.locator("#user-pending")).to_be_hidden()
    expect(page.locator("#user-segment")).to_have_text("DORMANT_LONG")
    expect(page.locator("#events-table tbody tr")).to_have_count(2)

    # An unknown player gives a readable error.
    page.fill("#lookup-user-id", "999999")
    page.click("#lookup-form button")
    expect(page.locator("#error")).to_have_text("No user with id 999999.")

    # Narrow window: the page still lays out in one column without sideways scrolling.
    page.set_viewport_size({"width": 390, "height": 800})
    page.fill("#lookup-user-id", str(COHORT.vip))
    page.click("#lookup-form button")
    expect(page.locator("#user-segment")).to_have_text("VIP")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    page.screenshot(path=str(ARTIFACTS / "admin-console-narrow.png"), full_page=True)

    # The token never appears in a URL; nothing is requested from another origin.
    assert all(token not in url for url in requests)
    assert all(url.startswith(server_url) or url.startswith("data:") for url in requests)
