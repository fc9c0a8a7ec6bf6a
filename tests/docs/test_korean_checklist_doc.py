"""`docs/개인화기능.md` stays true to the code and to the operators' checklist.

The checklist is kept verbatim in `docs/개인화기능-checklist.md`. The doc quotes each of
its list items (lines starting with `>`) in the checklist's order, under the checklist's
own section headings, and says below each quote where Pulse implements it. These tests
fail when a path or symbol the doc names is gone, or when an item or a section of the
checklist is missing from the doc, out of order, or left without a path.
"""

from __future__ import annotations

import difflib
import re
from pathlib import Path

from tests.support.markdown import fenced_blocks, inline_code_by_line, read_lines

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "개인화기능.md"
CHECKLIST = ROOT / "docs" / "개인화기능-checklist.md"

# A word in code that ends so, or starts with a top-level folder of the repository and
# has a slash, names a file of the repository. Routes (/api/...), URLs, options, the
# venv (made by `make install`) and placeholders (<...>, {...}) are not paths.
PATH_SUFFIXES = (".py", ".sql", ".yml", ".yaml", ".md", ".txt", ".toml", ".js", ".css", ".html")
TOP_LEVEL = {entry.name for entry in ROOT.iterdir() if not entry.name.startswith(".")}

_LIST_ITEM = re.compile(r"^( *)- (.*\S)\s*$")
_QUOTED_LIST_ITEM = re.compile(r"^> ?( *)- (.*\S)\s*$")
_CHECKLIST_HEADING = re.compile(r"^(##|###) (.*\S)\s*$")


def _path_reference(word: str) -> tuple[str, str] | None:
    """(path, symbol) when `word` names a repository path; symbol is "" when none is
    given (`path::symbol`, as pytest names a test, or `path:symbol`)."""
    word = word.strip("\"'(),;")
    if not word or "://" in word or word[0] in "/$-<{~" or word.startswith(".venv/"):
        return None
    path, separator, symbol = word.partition("::")
    if not separator:
        path, _, symbol = word.partition(":")
    symbol = symbol.split("[", 1)[0]  # a parametrized test's id
    first = path.split("/", 1)[0]
    if path.endswith(PATH_SUFFIXES) or ("/" in path and first in TOP_LEVEL):
        return path, symbol
    return None


def _code_words() -> list[tuple[int, str]]:
    """(line number, word) for every word of the doc's inline and fenced code, except in
    the quoted checklist lines: those keep the checklist's own example paths."""
    words = [
        (number, word)
        for number, span in inline_code_by_line(read_lines(DOC), skip_quotes=True)
        for word in span.split()
    ]
    words += [
        (line.number, word)
        for block in fenced_blocks(DOC)
        for line in block
        for word in line.text.split()
    ]
    return words


def _problem(path: str, symbol: str) -> str | None:
    target = ROOT / path
    if not target.exists():
        return "no such file or folder"
    if not symbol:
        return None
    if not target.is_file():
        return f"is a folder, so it cannot hold {symbol!r}"
    text = target.read_text(encoding="utf-8")
    if not re.search(rf"(?<!\w){re.escape(symbol)}(?!\w)", text):
        return f"does not contain {symbol!r}"
    return None


def test_every_path_and_symbol_the_doc_names_exists() -> None:
    references = [
        (number, word, reference)
        for number, word in _code_words()
        if (reference := _path_reference(word)) is not None
    ]
    assert len(references) > 50, "the doc names far fewer paths than it should: is it parsed?"
    problems = [
        f"docs/개인화기능.md:{number}: {word}: {problem}"
        for number, word, (path, symbol) in references
        if (problem := _problem(path, symbol)) is not None
    ]
    assert not problems, (
        "the doc names paths or symbols the repository no longer has:\n" + "\n".join(problems)
    )


def _checklist_items() -> list[str]:
    """The checklist's list items, each as its indent and text (checkbox included)."""
    items = []
    for line in CHECKLIST.read_text(encoding="utf-8").splitlines():
        match = _LIST_ITEM.match(line)
        if match:
            items.append(f"{match.group(1)}- {match.group(2)}")
    return items


def _quoted_items() -> list[tuple[int, str]]:
    items = []
    for line in read_lines(DOC):
        match = None if line.fenced else _QUOTED_LIST_ITEM.match(line.text)
        if match:
            items.append((line.number, f"{match.group(1)}- {match.group(2)}"))
    return items


def test_the_doc_quotes_every_checklist_item_in_order() -> None:
    expected = _checklist_items()
    assert len(expected) > 40, "the checklist copy has far fewer items than it should"
    quoted = [item for _, item in _quoted_items()]
    if quoted != expected:
        diff = difflib.unified_diff(
            expected, quoted, "docs/개인화기능-checklist.md", "docs/개인화기능.md", lineterm=""
        )
        raise AssertionError(
            "the doc must quote each checklist item verbatim ('> ' + the item), in the "
            "checklist's order; '-' lines are missing from the doc, '+' lines are not in "
            "the checklist:\n" + "\n".join(diff)
        )


def test_the_doc_keeps_the_checklist_sections_in_order() -> None:
    expected = [
        match.group(0).rstrip()
        for line in CHECKLIST.read_text(encoding="utf-8").splitlines()
        if (match := _CHECKLIST_HEADING.match(line))
    ]
    wanted = set(expected)
    found = [line.text.rstrip() for line in read_lines(DOC) if line.text.rstrip() in wanted]
    missing = [heading for heading in expected if heading not in found]
    assert not missing, f"the doc lacks these checklist sections (same level, same text): {missing}"
    assert found == expected, f"the doc has the checklist's sections in another order: {found}"


def test_each_checklist_item_is_followed_by_where_pulse_implements_it() -> None:
    lines = read_lines(DOC)
    quoted_at = {number for number, _ in _quoted_items()}
    unexplained = []
    for number, item in _quoted_items():
        # the lines between this quote and the next quote or heading
        below = []
        for line in lines[number:]:
            if line.number in quoted_at or (not line.fenced and line.text.startswith("#")):
                break
            below.append(line)
        words = [
            word
            for _, span in inline_code_by_line(below, skip_quotes=True)
            for word in span.split()
        ]
        if not any(_path_reference(word) for word in words):
            unexplained.append(f"docs/개인화기능.md:{number}: {item.strip()}")
    assert not unexplained, "these items name no repository path below them:\n" + "\n".join(
        unexplained
    )
