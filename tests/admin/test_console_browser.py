"""The console in real headless Chromium against a real uvicorn: sign in, chart, lookup,
set and clear an override, the Rules view; every segment list drawn from the published
catalogue. Screenshots are kept under test-artifacts/ (not committed)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import Engine, text

from ingest.tokens import make_token
from pulse.settings import PROJECT_ROOT
from tests.support.cohort import COHORT, published_catalogue, published_segment_of

ARTIFACTS = PROJECT_ROOT / "test-artifacts"
ADMIN_SUBJECT = 31
HOSTILE_REASON = '<img src=x onerror="window.pwned=1"> loyal since 2019'

pytestmark = pytest.mark.usefixtures("published_cohort")


@pytest.fixture
def browser_page(browser: Browser, server_url: str) -> Iterator[Page]:
    # An English-speaking browser: the console follows the browser's language. A context
    # per test, so no test finds another's signed-in session in the page's storage.
    context = browser.new_context(locale="en-US", viewport={"width": 1280, "height": 900})
    yield context.new_page()
    context.close()


def test_console_lookup_override_and_chart(
    browser_page: Page, server_url: str, engine: Engine
) -> None:
    page = browser_page
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    csp_violations: list[str] = []
    page.on(
        "console",
        lambda message: (
            "Content Security Policy" in message.text and csp_violations.append(message.text)
        ),
    )
    names = [entry["name"] for entry in published_catalogue(engine)]
    vip, _, _ = published_segment_of(engine, COHORT.vip)
    dormant, _, _ = published_segment_of(engine, COHORT.dormant_long)
    page.goto(f"{server_url}/admin")

    # A player token is refused with a clear message.
    page.fill("#token", make_token(COHORT.vip))
    page.click("#sign-in-form button")
    expect(page.locator("#error")).to_contain_text("admin")

    token = make_token(ADMIN_SUBJECT, admin=True)
    page.fill("#token", token)
    page.click("#sign-in-form button")
    expect(page.locator("#app")).to_be_visible()
    # Sizes, chart, legend and override picker list the published catalogue, in order.
    expect(page.locator("#segment-table tbody tr")).to_have_count(len(names))
    expect(page.locator("#segment-table tbody .badge")).to_have_text(names)
    expect(page.locator("#freshness")).to_contain_text("fresh")
    expect(page.locator("#chart-svg path.series")).to_have_count(len(names))
    assert [
        page.locator("#chart-legend li").nth(index).get_attribute("data-segment")
        for index in range(len(names))
    ] == names
    expect(page.locator("#override-segment option")).to_have_text(names)
    expect(page.locator("#changes-table tbody tr")).to_have_count(25)
    # Each segment gets a colour of its own, from its place in the catalogue.
    colours = page.eval_on_selector_all(
        "#segment-table tbody .badge",
        "nodes => nodes.map(n => getComputedStyle(n).backgroundColor)",
    )
    assert len(set(colours)) == len(names)

    page.fill("#lookup-user-id", str(COHORT.vip))
    page.click("#lookup-form button")
    expect(page.locator("#user-segment")).to_have_text(vip)
    expect(page.locator("#user-summary")).to_contain_text(f"{vip}: first rule that holds")
    expect(page.locator("#rules-table tbody tr")).to_have_count(len(names))
    expect(page.locator("#rules-table tr.decisive")).to_contain_text(vip)
    expect(page.locator("#profile-table")).to_contain_text("roulette plays")

    page.fill("#lookup-user-id", str(COHORT.dormant_long))
    page.click("#lookup-form button")
    expect(page.locator("#user-segment")).to_have_text(dormant)
    page.select_option("#override-segment", vip)
    page.fill("#override-reason", HOSTILE_REASON)
    page.click("#override-save")
    expect(page.locator("#user-override-flag")).to_be_visible()
    expect(page.locator("#user-segment")).to_have_text(vip)
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
    expect(page.locator("#user-segment")).to_have_text(dormant)
    expect(page.locator("#events-table tbody tr")).to_have_count(2)

    # An unknown player gives a readable error.
    page.fill("#lookup-user-id", "999999")
    page.click("#lookup-form button")
    expect(page.locator("#error")).to_have_text("No user with id 999999.")

    # Narrow window: the page still lays out in one column without sideways scrolling.
    page.set_viewport_size({"width": 390, "height": 800})
    page.fill("#lookup-user-id", str(COHORT.vip))
    page.click("#lookup-form button")
    expect(page.locator("#user-segment")).to_have_text(vip)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    page.screenshot(path=str(ARTIFACTS / "admin-console-narrow.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})

    # The token never appears in a URL; nothing is requested from another origin; the
    # page broke no rule of its Content-Security-Policy.
    assert all(token not in url for url in requests)
    assert all(url.startswith(server_url) or url.startswith("data:") for url in requests)
    assert csp_violations == []


def test_rules_view_shows_the_published_catalogue_and_follows_a_new_entry(
    browser_page: Page, server_url: str, engine: Engine
) -> None:
    page = browser_page
    catalogue = published_catalogue(engine)
    page.goto(f"{server_url}/admin")
    token = make_token(ADMIN_SUBJECT, admin=True)
    page.evaluate("token => sessionStorage.setItem('pulse.adminToken', token)", token)
    page.reload()
    expect(page.locator("#app")).to_be_visible()
    expect(page.locator("#rules-view")).to_be_hidden()
    page.click("#view-rules")
    expect(page.locator("#rules-view")).to_be_visible()
    expect(page.locator("#overview-view")).to_be_hidden()
    rows = page.locator("#catalogue-table tbody tr")
    expect(rows).to_have_count(len(catalogue))
    for index, entry in enumerate(catalogue):
        row = rows.nth(index)
        expect(row.locator("td").nth(0)).to_have_text(str(entry["priority"]))
        expect(row.locator(".badge")).to_have_text(entry["name"])
        expect(row.locator("td").nth(2)).to_have_text(
            entry["when_sql"] if entry["when_sql"] is not None else "fallback: no rule above holds"
        )
        expect(row.locator("td").nth(3)).to_have_text(entry["description"])
    with engine.connect() as connection:
        sizes = dict(
            connection.execute(
                text("select segment, count(*) from analytics.user_segment group by segment")
            ).all()
        )
    expect(rows.locator("td:nth-child(5)")).to_have_text(
        [f"{sizes.get(entry['name'], 0):,}" for entry in catalogue]
    )
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "admin-console-rules.png"), full_page=True)

    # A segment the console has never seen shows up everywhere once it is published.
    with engine.begin() as connection:
        connection.execute(
            text(
                "insert into analytics.segment_catalogue (priority, name, rule, when_sql, "
                "description, description_ko, is_fallback, as_of, computed_at) "
                "select max(priority) + 1, 'PROBE_SEGMENT', 'probe_segment', 'dice_plays > 99', "
                "'Published by the test only.', null, false, max(as_of), max(computed_at) "
                "from analytics.segment_catalogue"
            )
        )
    try:
        page.reload()
        page.click("#view-rules")
        expect(rows).to_have_count(len(catalogue) + 1)
        expect(rows.last).to_contain_text("PROBE_SEGMENT")
        expect(rows.last).to_contain_text("dice_plays > 99")
        page.click("#view-overview")
        expect(page.locator("#segment-table tbody tr").last).to_contain_text("PROBE_SEGMENT")
        expect(page.locator("#chart-svg path.series")).to_have_count(len(catalogue) + 1)
        expect(page.locator("#override-segment option").last).to_have_text("PROBE_SEGMENT")
        probe = page.locator("#segment-table tbody .badge").last
        assert probe.evaluate("node => node.style.getPropertyValue('--seg-color')") != ""
    finally:
        with engine.begin() as connection:
            connection.execute(
                text("delete from analytics.segment_catalogue where name = 'PROBE_SEGMENT'")
            )
