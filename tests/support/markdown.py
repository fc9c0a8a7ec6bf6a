"""Just enough Markdown reading for the tests that keep the docs true: headings,
sections, list items, inline code and fenced code, with fenced code never taken for
headings or prose."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

_FENCE = re.compile(r"^\s*(```|~~~)")
_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
# A code span may run over a line break inside a paragraph; its words are what count.
_INLINE_CODE = re.compile(r"`([^`]+)`")


@dataclass(frozen=True)
class Line:
    number: int  # 1-based, as an editor shows it
    text: str
    fenced: bool  # inside a fenced code block (the fence lines themselves included)


@dataclass(frozen=True)
class Section:
    level: int
    title: str
    line: int
    body: str  # the text up to the next heading of any level


def read_lines(path: Path) -> list[Line]:
    lines: list[Line] = []
    inside = False
    for number, text in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if _FENCE.match(text):
            lines.append(Line(number, text, fenced=True))
            inside = not inside
            continue
        lines.append(Line(number, text, fenced=inside))
    return lines


def sections(path: Path) -> list[Section]:
    """Every heading outside fenced code, in order, with the text under it."""
    found: list[tuple[int, str, int]] = []
    bodies: list[list[str]] = []
    for line in read_lines(path):
        match = None if line.fenced else _HEADING.match(line.text)
        if match:
            found.append((len(match.group(1)), match.group(2), line.number))
            bodies.append([])
        elif bodies:
            bodies[-1].append(line.text)
    return [
        Section(level, title, number, "\n".join(body))
        for (level, title, number), body in zip(found, bodies, strict=True)
    ]


def inline_code(text: str) -> list[str]:
    """The code spans of `text`, each with its whitespace (line breaks too) made single."""
    return [" ".join(span.split()) for span in _INLINE_CODE.findall(text)]


def inline_code_by_line(lines: list[Line], *, skip_quotes: bool = False) -> list[tuple[int, str]]:
    """(line number where it starts, span) for each code span outside fenced code and,
    with `skip_quotes`, outside blockquotes."""
    kept = [
        "" if line.fenced or (skip_quotes and line.text.startswith(">")) else line.text
        for line in lines
    ]
    text = "\n".join(kept)
    first = lines[0].number if lines else 1
    return [
        (first + text.count("\n", 0, match.start()), " ".join(match.group(1).split()))
        for match in _INLINE_CODE.finditer(text)
    ]


def fenced_blocks(path: Path) -> list[list[Line]]:
    """The lines inside each fenced code block, without the fences."""
    blocks: list[list[Line]] = []
    current: list[Line] | None = None
    for line in read_lines(path):
        if _FENCE.match(line.text):
            if current is None:
                current = []
            else:
                blocks.append(current)
                current = None
        elif current is not None:
            current.append(line)
    return blocks
