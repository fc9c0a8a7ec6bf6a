"""The console in Korean and in English, in real headless Chromium against a real uvicorn.

A Korean-preferring browser gets every view in Korean and an English one in English:
labels, messages, dates and numbers in the language's locale, descriptions from the
published catalogue (`description_ko` in Korean), no message key left unresolved (the
console records each one it could not find). The header's switch changes the language
at once and the choice outlives a reload.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, Route, expect
from sqlalchemy import Engine, text

from ingest.api.routes.console import CONSOLE_DIR
from ingest.tokens import make_token
from pulse.settings import PROJECT_ROOT
from tests.support.cohort import COHORT, published_catalogue, published_segment_of

ADMIN_SUBJECT = 32
ARTIFACTS = PROJECT_ROOT / "test-artifacts"
LOCALES = {"ko": "ko-KR", "en": "en"}
# Dates as Intl.DateTimeFormat writes them with dateStyle medium, timeStyle short.
DATE_TIME_SHAPE = {
    "ko": re.compile(r"\d{4}\. \d{1,2}\. \d{1,2}\. (오전|오후) \d{1,2}:\d{2}"),
    "en": re.compile(r"[A-Z][a-z]{2} \d{1,2}, \d{4}, \d{1,2}:\d{2}\s(AM|PM)"),
}
DATE_SHAPE = {
    "ko": re.compile(r"^\d{4}\. \d{1,2}\. \d{1,2}\.$"),
    "en": re.compile(r"^[A-Z][a-z]{2} \d{1,2}, \d{4}$"),
}
HANGUL = re.compile(r"[\uac00-\ud7a3]")

pytestmark = pytest.mark.usefixtures("published_cohort")


def messages(language: str) -> dict[str, str]:
    return dict(json.loads((CONSOLE_DIR / f"messages.{language}.json").read_text("utf-8")))


def fragments(message: str) -> list[str]:
    """The parts of a message between its placeholders that are long enough to be told apart."""
    return [part.strip() for part in re.split(r"\{\w+\}", message) if len(part.strip()) >= 10]


@pytest.fixture
def open_console(browser: Browser, server_url: str) -> Iterator[Any]:
    """Opens the console in a fresh browser context preferring `locale`."""
    contexts = []

    def open_in(locale: str) -> Page:
        context = browser.new_context(locale=locale, viewport={"width": 1280, "height": 900})
        contexts.append(context)
        page = context.new_page()
        page.goto(f"{server_url}/admin")
        return page

    yield open_in
    for context in contexts:
        context.close()


def sign_in(page: Page) -> None:
    page.fill("#token", make_token(ADMIN_SUBJECT, admin=True))
    page.click("#sign-in-form button[type=submit]")
    expect(page.locator("#app")).to_be_visible()


def intl_date_time(page: Page, language: str, moment: datetime) -> str:
    """The moment as the browser's Intl writes it in the language's locale."""
    return str(
        page.evaluate(
            "([locale, iso]) => new Intl.DateTimeFormat(locale, "
            "{dateStyle: 'medium', timeStyle: 'short'}).format(new Date(iso))",
            [LOCALES[language], moment.isoformat()],
        )
    )


def published_moments(engine: Engine) -> tuple[datetime, datetime]:
    with engine.connect() as connection:
        as_of, computed_at = connection.execute(
            text("select max(as_of), max(computed_at) from analytics.segment_catalogue")
        ).one()
    return as_of, computed_at


def assert_fully_localized(page: Page, language: str) -> None:
    """No unresolved key recorded or shown, and no sentence of the other language."""
    assert page.evaluate("pulseConsole.missingKeys()") == []
    assert page.evaluate("pulseConsole.language()") == language
    expect(page.locator("html")).to_have_attribute("lang", language)
    shown = page.locator("body").inner_text()
    assert "[missing" not in shown and "i18n." not in shown
    assert not re.search(
        r"\b[a-zA-Z]+\.[a-z][a-zA-Z]+(\.[a-zA-Z]+)?\b", shown.replace("ingest.tokens", "")
    ), "a message key shows as text"
    if language == "en":
        # Korean shows only as the switch's own name for Korean.
        assert not HANGUL.search(shown.replace("한국어", "")), shown
    else:
        english, korean = messages("en"), messages("ko")
        leaked = [
            part
            for key, message in english.items()
            if message != korean[key]
            for part in fragments(message)
            if " " in part and part in shown
        ]
        assert leaked == [], f"English text in the Korean console: {leaked}"


def visit_every_view(page: Page, language: str, engine: Engine) -> None:
    """Overview (sizes, chart, changes), a player's lookup and override, the Rules view;
    each checked for its localized labels, dates and descriptions."""
    words = messages(language)
    catalogue = published_catalogue(engine)
    as_of, computed_at = published_moments(engine)
    vip, _, _ = published_segment_of(engine, COHORT.vip)

    # Overview: sizes and their meta line, freshness, chart, transitions.
    for key in ("segments.title", "chart.title", "lookup.title", "changes.title", "views.rules"):
        expect(page.locator("body")).to_contain_text(words[key])
    expect(page.locator("#segment-table thead")).to_contain_text(words["column.share"])
    expect(page.locator("#segment-table tbody tr")).to_have_count(len(catalogue))
    expect(page.locator("#freshness")).to_contain_text(words["freshness.fresh"])
    expect(page.locator("#segment-meta")).to_contain_text(intl_date_time(page, language, as_of))
    assert DATE_TIME_SHAPE[language].search(page.locator("#freshness").inner_text())
    expect(page.locator("#chart-svg path.series")).to_have_count(len(catalogue))
    assert DATE_SHAPE[language].match(page.locator("#chart-last-date").text_content() or "")
    first_change = page.locator("#changes-table tbody tr").first.locator("td").first
    assert DATE_TIME_SHAPE[language].fullmatch(first_change.inner_text())
    assert_fully_localized(page, language)

    # A player's lookup: the explanation, the profile, the override form.
    page.fill("#lookup-user-id", str(COHORT.vip))
    page.click("#lookup-form button")
    expect(page.locator("#user-title")).to_have_text(words["user.title"].format(id=COHORT.vip))
    expect(page.locator("#user-segment")).to_have_text(vip)
    first_rule = words["user.summary.firstRule"].split("{when}")[0].format(segment=vip)
    expect(page.locator("#user-summary")).to_contain_text(first_rule)
    expect(page.locator("#user-facts")).to_contain_text(words["user.fact.byRules"])
    expect(page.locator("#rules-table tr.decisive")).to_contain_text(words["rules.holds"])
    expect(page.locator("#override-current")).to_have_text(words["override.none"])
    expect(page.locator("#override-reason")).to_have_attribute(
        "placeholder", words["override.reasonPlaceholder"]
    )
    vip_entry = next(entry for entry in catalogue if entry["name"] == vip)
    described = vip_entry["description_ko"] if language == "ko" else vip_entry["description"]
    expect(page.locator(f"#rules-table tr[data-segment='{vip}'] td.when")).to_have_attribute(
        "title", described
    )
    assert_fully_localized(page, language)

    # Set and clear an override: the confirmations and the audit rows in the language.
    page.fill("#lookup-user-id", str(COHORT.dormant_long))
    page.click("#lookup-form button")
    expect(page.locator("#user-title")).to_contain_text(str(COHORT.dormant_long))
    page.select_option("#override-segment", vip)
    page.fill("#override-reason", "campaign test")
    page.click("#override-save")
    expect(page.locator("#notice")).to_have_text(
        words["override.saved"].format(id=COHORT.dormant_long)
    )
    expect(page.locator("#user-pending")).to_have_text(words["user.pending.overrideSet"])
    expect(page.locator("#events-table tbody tr").first.locator("td").nth(1)).to_have_text(
        words["history.action.set"]
    )
    assert_fully_localized(page, language)
    page.click("#override-clear")
    expect(page.locator("#notice")).to_have_text(
        words["override.cleared"].format(id=COHORT.dormant_long)
    )
    expect(page.locator("#events-table tbody tr").first.locator("td").nth(1)).to_have_text(
        words["history.action.clear"]
    )

    # An unknown player: the console's own message.
    page.fill("#lookup-user-id", "999999")
    page.click("#lookup-form button")
    expect(page.locator("#error")).to_have_text(words["lookup.noUser"].format(id=999999))
    assert_fully_localized(page, language)

    # The Rules view: descriptions from the catalogue in the language, names and `when`
    # as declared.
    page.click("#view-rules")
    expect(page.locator("#rules-view h2")).to_have_text(words["rules.title"])
    rows = page.locator("#catalogue-table tbody tr")
    expect(rows).to_have_count(len(catalogue))
    for index, entry in enumerate(catalogue):
        row = rows.nth(index)
        expect(row.locator(".badge")).to_have_text(entry["name"])
        expect(row.locator("td").nth(2)).to_have_text(
            entry["when_sql"] if entry["when_sql"] is not None else words["rules.fallbackLong"]
        )
        korean = language == "ko" and entry["description_ko"]
        expect(row.locator("td.description")).to_have_text(
            entry["description_ko"] if korean else entry["description"]
        )
        expect(row.locator("td.description")).to_have_attribute("lang", "ko" if korean else "en")
    expect(page.locator("#catalogue-meta")).to_contain_text(
        intl_date_time(page, language, computed_at)
    )
    assert_fully_localized(page, language)
    page.click("#view-overview")


def test_a_korean_browser_gets_the_console_in_korean(open_console: Any, engine: Engine) -> None:
    page = open_console("ko-KR")
    words = messages("ko")
    expect(page.locator("html")).to_have_attribute("lang", "ko")
    expect(page.locator("#sign-in h2")).to_have_text(words["signIn.title"])
    expect(page.locator("label[for=token]")).to_have_text(words["signIn.tokenLabel"])
    expect(page.locator("[data-language=ko]")).to_have_attribute("aria-pressed", "true")
    expect(page).to_have_title(words["page.title"])
    # A player's token is refused in Korean.
    page.fill("#token", make_token(COHORT.vip))
    page.click("#sign-in-form button[type=submit]")
    expect(page.locator("#error")).to_have_text(words["signIn.notAdmin"])
    assert_fully_localized(page, "ko")
    sign_in(page)
    visit_every_view(page, "ko", engine)
    ARTIFACTS.mkdir(exist_ok=True)
    page.fill("#lookup-user-id", str(COHORT.vip))
    page.click("#lookup-form button")
    expect(page.locator("#user-panel")).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "admin-console-ko.png"), full_page=True)


def test_an_english_browser_gets_the_console_in_english(open_console: Any, engine: Engine) -> None:
    page = open_console("en-US")
    words = messages("en")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("#sign-in h2")).to_have_text(words["signIn.title"])
    expect(page.locator("[data-language=en]")).to_have_attribute("aria-pressed", "true")
    assert_fully_localized(page, "en")
    sign_in(page)
    visit_every_view(page, "en", engine)


def test_the_switch_changes_the_language_at_once_and_is_remembered(
    open_console: Any, engine: Engine
) -> None:
    page = open_console("ko-KR")
    korean, english = messages("ko"), messages("en")
    as_of, _ = published_moments(engine)
    vip, _, _ = published_segment_of(engine, COHORT.vip)
    sign_in(page)
    page.fill("#lookup-user-id", str(COHORT.vip))
    page.click("#lookup-form button")
    expect(page.locator("#user-summary")).to_contain_text(
        korean["user.summary.firstRule"].split("{when}")[0].format(segment=vip)
    )

    # Live: labels, the player's explanation, banners and dates follow without a reload.
    page.fill("#lookup-user-id", "999999")
    page.click("#lookup-form button")
    expect(page.locator("#error")).to_have_text(korean["lookup.noUser"].format(id=999999))
    page.click("[data-language=en]")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("#error")).to_have_text(english["lookup.noUser"].format(id=999999))
    expect(page.locator("#segment-table thead")).to_contain_text(english["column.share"])
    expect(page.locator("#segment-meta")).to_contain_text(intl_date_time(page, "en", as_of))
    assert DATE_SHAPE["en"].match(page.locator("#chart-last-date").text_content() or "")
    assert_fully_localized(page, "en")
    page.fill("#lookup-user-id", str(COHORT.vip))
    page.click("#lookup-form button")
    page.click("[data-language=ko]")
    expect(page.locator("#user-summary")).to_contain_text(
        korean["user.summary.firstRule"].split("{when}")[0].format(segment=vip)
    )
    page.click("[data-language=en]")
    expect(page.locator("#user-summary")).to_contain_text(
        english["user.summary.firstRule"].split("{when}")[0].format(segment=vip)
    )
    expect(page.locator("#user-facts")).to_contain_text(english["user.fact.byRules"])
    assert_fully_localized(page, "en")

    # The choice outlives a reload in this browser, though it prefers Korean.
    page.reload()
    expect(page.locator("#app")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("#segment-table thead")).to_contain_text(english["column.share"])
    expect(page.locator("[data-language=en]")).to_have_attribute("aria-pressed", "true")
    assert_fully_localized(page, "en")


def serve_without(page: Page, key: str, languages: tuple[str, ...]) -> None:
    """The page gets the served catalogues of `languages` with `key` taken out."""

    def without_key(route: Route) -> None:
        served = route.fetch().json()
        del served[key]
        route.fulfill(json=served)

    for language in languages:
        page.route(f"**/admin/static/messages.{language}.json", without_key)


def test_a_key_no_catalogue_has_is_recorded_and_shown(browser: Browser, server_url: str) -> None:
    """The detector the other tests rely on: a key the page uses and no catalogue has."""
    context = browser.new_context(locale="ko-KR")
    try:
        page = context.new_page()
        serve_without(page, "signIn.title", ("ko", "en"))
        page.goto(f"{server_url}/admin")
        expect(page.locator("#sign-in h2")).to_have_text("[missing: signIn.title]")
        assert page.evaluate("pulseConsole.missingKeys()") == ["ko:signIn.title"]
    finally:
        context.close()


def test_a_key_one_catalogue_lacks_is_recorded_in_the_other_language(
    browser: Browser, server_url: str
) -> None:
    """A key the Korean catalogue lacks is recorded while the console shows English."""
    context = browser.new_context(locale="en-US")
    try:
        page = context.new_page()
        serve_without(page, "signIn.title", ("ko",))
        page.goto(f"{server_url}/admin")
        expect(page.locator("#sign-in h2")).to_have_text(messages("en")["signIn.title"])
        assert page.evaluate("pulseConsole.missingKeys()") == ["ko:signIn.title"]
    finally:
        context.close()
