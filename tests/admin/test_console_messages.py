"""The console's message catalogues: the same keys in every language, and every key the
page and its script use is in them (read from the files themselves, no browser)."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from ingest.api.routes.console import CONSOLE_DIR, STATIC_FILES

LANGUAGES = ("en", "ko")
SCRIPT = CONSOLE_DIR / "console.js"
PAGE = CONSOLE_DIR / "index.html"

# The script's functions that take a message key first; the key must be written out.
KEYED_CALL = re.compile(r"(?<![\w$])(?P<function>t|tNodes|showError|showNotice)\(")
STRING_KEY = re.compile(r'\s*"(?P<key>[^"\\]+)"')
STATIC_ATTRIBUTES = (
    "data-i18n",
    "data-i18n-placeholder",
    "data-i18n-aria-label",
    "data-i18n-title",
)
PLACEHOLDER = re.compile(r"\{(\w+)\}")
# Text the page shows as written in every language: the product's name, the language
# switch (each language named in itself), the token command, a column of numbers.
LITERAL_TEXT = {"Pulse", "한국어", "English", "python -m ingest.tokens --user-id N --admin", "#"}


def catalogue(language: str) -> dict[str, str]:
    path = CONSOLE_DIR / f"messages.{language}.json"
    messages = json.loads(path.read_text(encoding="utf-8"))
    assert isinstance(messages, dict) and messages, f"{path.name} holds no messages"
    return messages


def script_keys(script: str) -> set[str]:
    """Every key the script passes to a message function; fails on a key not written out."""
    keys: set[str] = set()
    computed = []
    for call in KEYED_CALL.finditer(script):
        before = script[max(0, call.start() - 9) : call.start()]
        if before.endswith("function ") or (before.endswith(".") and not before.endswith("...")):
            continue  # the definition, or another object's method
        key = STRING_KEY.match(script, call.end())
        if key is None:
            line = script.count("\n", 0, call.start()) + 1
            computed.append(f"console.js:{line}: {call.group('function')}(...)")
        else:
            keys.add(key.group("key"))
    assert not computed, (
        "message keys must be written out so they can be checked; computed keys at:\n"
        + "\n".join(computed)
    )
    return keys


class _StaticText(HTMLParser):
    """The page's data-i18n keys, and any text it shows outside a data-i18n element."""

    VOID = {"meta", "link", "input", "br", "img", "hr"}

    def __init__(self) -> None:
        super().__init__()
        self.keys: set[str] = set()
        self.untranslated: list[str] = []
        self._open: list[bool] = []  # per open element: is its text a message

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        for attribute in STATIC_ATTRIBUTES:
            if values.get(attribute):
                self.keys.add(str(values[attribute]))
        if tag not in self.VOID:
            self._open.append("data-i18n" in values)

    def handle_endtag(self, tag: str) -> None:
        if tag not in self.VOID and self._open:
            self._open.pop()

    def handle_data(self, data: str) -> None:
        text = " ".join(data.split())
        if text and not any(self._open) and text not in LITERAL_TEXT:
            self.untranslated.append(text)


def page_text() -> _StaticText:
    parser = _StaticText()
    parser.feed(PAGE.read_text(encoding="utf-8"))
    return parser


def test_every_language_has_the_same_keys_and_placeholders() -> None:
    english = catalogue("en")
    for language in LANGUAGES:
        messages = catalogue(language)
        assert sorted(set(english) - set(messages)) == [], f"missing in messages.{language}.json"
        assert sorted(set(messages) - set(english)) == [], f"only in messages.{language}.json"
        empty = sorted(key for key, value in messages.items() if not str(value).strip())
        assert empty == [], f"empty messages in messages.{language}.json"
        different = sorted(
            key
            for key, value in messages.items()
            if set(PLACEHOLDER.findall(value)) != set(PLACEHOLDER.findall(english[key]))
        )
        assert different == [], f"messages.{language}.json: other placeholders than English"


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_key_the_console_uses_is_in_the_catalogue(language: str) -> None:
    used = script_keys(SCRIPT.read_text(encoding="utf-8")) | page_text().keys
    assert len(used) > 50, "far fewer keys than the console uses: are the files parsed?"
    missing = sorted(used - set(catalogue(language)))
    assert missing == [], f"messages.{language}.json lacks keys the console uses: {missing}"


def test_every_message_is_used() -> None:
    used = script_keys(SCRIPT.read_text(encoding="utf-8")) | page_text().keys
    unused = sorted(set(catalogue("en")) - used)
    assert unused == [], f"messages no part of the console uses: {unused}"


def test_the_page_shows_no_text_of_its_own_outside_the_catalogues() -> None:
    assert page_text().untranslated == []


def test_each_catalogue_is_served() -> None:
    for language in LANGUAGES:
        assert f"messages.{language}.json" in STATIC_FILES
        assert Path(CONSOLE_DIR / f"messages.{language}.json").is_file()
