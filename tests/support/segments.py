"""The segment declaration as dbt_project.yml ships it, for tests that vary it.

Tests read names and entries from here instead of restating the rules: a test that
needs "the shipped declaration without NEW" or "the VIP entry" derives it.
"""

from __future__ import annotations

import copy
import re
from typing import Any

import yaml

from pulse.dbt_env import SEGMENTS_VAR, project_vars


def declared_segments() -> list[dict[str, Any]]:
    """The entries of var pulse__segments in dbt_project.yml, in priority order (a copy)."""
    return copy.deepcopy(project_vars()[SEGMENTS_VAR])


def declared_names() -> list[str]:
    return [entry["name"] for entry in declared_segments()]


def fallback_name() -> str:
    return declared_segments()[-1]["name"]


def expected_catalogue(entries: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    """What the published catalogue must hold for a declaration, one tuple per entry in
    priority order: (priority, name, rule, when, description, description_ko, is_fallback)."""
    return [
        (
            priority,
            entry["name"],
            entry["name"].lower(),
            entry.get("when"),
            entry["description"],
            entry.get("description_ko"),
            priority == len(entries),
        )
        for priority, entry in enumerate(entries, start=1)
    ]


def segments_vars(entries: list[dict[str, Any]]) -> dict[str, Any]:
    """The dbt vars that replace the declaration for one run."""
    return {SEGMENTS_VAR: entries}


def insert_entry(project_yml: str, entry: dict[str, Any], before: str) -> str:
    """dbt_project.yml's text with `entry` added to pulse__segments just before the entry
    named `before`, as an analyst types it: every other line (comments too) kept as is."""
    anchor = re.compile(rf"^(?P<indent>[ ]*)- name: {re.escape(before)}[ ]*$", re.MULTILINE)
    [match] = list(anchor.finditer(project_yml))
    rendered = yaml.safe_dump([entry], allow_unicode=True, sort_keys=False, width=1000)
    indented = "".join(f"{match['indent']}{line}\n" for line in rendered.splitlines())
    return project_yml[: match.start()] + indented + project_yml[match.start() :]
