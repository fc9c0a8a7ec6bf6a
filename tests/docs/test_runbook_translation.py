"""`docs/runbook.ko.md` stays the twin of `docs/runbook.md`.

The two must have the same headings, level by level, in the same order (a section
added to one and not the other fails, naming it), and the Korean one keeps every
command, path and name the English one puts in code, unchanged.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

from tests.support.markdown import (
    Section,
    fenced_blocks,
    inline_code,
    inline_code_by_line,
    read_lines,
    sections,
)

ROOT = Path(__file__).resolve().parents[2]
ENGLISH = ROOT / "docs" / "runbook.md"
KOREAN = ROOT / "docs" / "runbook.ko.md"


def _code_words(section: Section) -> set[str]:
    return {word for span in inline_code(section.body) for word in span.split()}


def _likeness(english: Section, korean: Section) -> float:
    """How alike two sections are across the languages: what they put in code is the
    same in both (the commands, settings and names are not translated)."""
    if english.level != korean.level:
        return -1.0
    english_words, korean_words = _code_words(english), _code_words(korean)
    union = english_words | korean_words
    shared = len(english_words & korean_words) / len(union) if union else 0.0
    return 0.1 + shared  # a same-level pair beats a gap even with no code in common


def _unpaired(english: list[Section], korean: list[Section]) -> tuple[list[int], list[int]]:
    """The sections of each list left without a counterpart by the best order-keeping
    pairing of same-level sections (an alignment, as diff does for lines)."""
    rows, columns = len(english), len(korean)
    best = [[0.0] * (columns + 1) for _ in range(rows + 1)]
    for i in range(rows - 1, -1, -1):
        for j in range(columns - 1, -1, -1):
            paired = _likeness(english[i], korean[j])
            best[i][j] = max(
                best[i + 1][j],
                best[i][j + 1],
                best[i + 1][j + 1] + paired if paired >= 0 else -1.0,
            )
    lonely_english, lonely_korean = [], []
    i = j = 0
    while i < rows and j < columns:
        paired = _likeness(english[i], korean[j])
        if paired >= 0 and best[i][j] == best[i + 1][j + 1] + paired:
            i, j = i + 1, j + 1
        elif best[i][j] == best[i + 1][j]:
            lonely_english.append(i)
            i += 1
        else:
            lonely_korean.append(j)
            j += 1
    lonely_english += range(i, rows)
    lonely_korean += range(j, columns)
    return lonely_english, lonely_korean


def _parent(outline: list[Section], index: int) -> str:
    for earlier in reversed(outline[:index]):
        if earlier.level < outline[index].level:
            return f" under {'#' * earlier.level} {earlier.title!r}"
    return ""


def _describe(outline: list[Section], index: int, path: str) -> str:
    section = outline[index]
    return (
        f"{'#' * section.level} {section.title!r} ({path}:{section.line}{_parent(outline, index)})"
    )


def test_the_korean_runbook_has_the_same_sections_in_the_same_order() -> None:
    english, korean = sections(ENGLISH), sections(KOREAN)
    assert len(english) > 10, "docs/runbook.md has far fewer headings than it should"
    if [section.level for section in english] == [section.level for section in korean]:
        return
    lonely_english, lonely_korean = _unpaired(english, korean)
    problems = [
        f"docs/runbook.ko.md has no section for {_describe(english, index, 'docs/runbook.md')}"
        for index in lonely_english
    ] + [
        f"docs/runbook.md has no section for {_describe(korean, index, 'docs/runbook.ko.md')}"
        for index in lonely_korean
    ]
    counts = {
        "docs/runbook.md": dict(sorted(Counter(section.level for section in english).items())),
        "docs/runbook.ko.md": dict(sorted(Counter(section.level for section in korean).items())),
    }
    raise AssertionError(
        "the runbooks' headings differ (add or remove the section in both):\n"
        + "\n".join(problems or ["the same sections, in another order"])
        + f"\nheadings per level: {counts}"
    )


# A comment in a command block: a line that is one, or one after two spaces.
_COMMENT = re.compile(r"(^\s*#.*$)|(\s{2,}#.*$)")


def _commands(path: Path) -> list[str]:
    """Every line of fenced code without its comments (comments may be translated)."""
    lines = []
    for block in fenced_blocks(path):
        for line in block:
            command = _COMMENT.sub("", line.text).strip()
            if command:
                lines.append(command)
    return lines


def _inline_code(path: Path) -> set[str]:
    return {span for _, span in inline_code_by_line(read_lines(path))}


def test_the_korean_runbook_keeps_every_command_and_name_unchanged() -> None:
    missing_commands = [line for line in _commands(ENGLISH) if line not in _commands(KOREAN)]
    missing_code = sorted(_inline_code(ENGLISH) - _inline_code(KOREAN))
    assert not missing_commands, f"docs/runbook.ko.md lacks these command lines: {missing_commands}"
    assert not missing_code, f"docs/runbook.ko.md lacks these `code` spans: {missing_code}"
