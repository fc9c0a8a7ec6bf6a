"""Turning a failed dbt invocation into one readable line (for the UI, alerts and the script)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

FAILED_STATUSES = ("error", "fail", "runtime error")
NAMES_SHOWN = 5
# How dbt_project/macros/pulse_segments.sql starts every error about the declaration.
DECLARATION_ERROR = "invalid var pulse__segments"


def declaration_problems(messages: Iterable[str]) -> str | None:
    """The problems of an invalid segment declaration in dbt's error messages, on one line
    ('invalid segment declaration: entry 2 (VIP): ...; entry 5 (ACTIVE): ...'), or None.

    dbt reports them as a compilation error (a malformed entry, found while parsing) or
    as the failure of the on-run-start hook (a `when` the warehouse refuses).
    """
    problems: list[str] = []
    for message in messages:
        if DECLARATION_ERROR not in message:
            continue
        text = message.split(DECLARATION_ERROR, 1)[1].lstrip(":")
        for line in text.splitlines():
            line = line.strip()
            if line.startswith(("entry ", "pulse__segments")) and line not in problems:
                problems.append(line)
    if not problems:
        return None
    return "invalid segment declaration: " + "; ".join(problems)


def failure_summary(run_results: Mapping[str, Any], messages: Iterable[str] = ()) -> str:
    """'dbt build failed: 2 node(s) failed: test.pulse.x (Got 3 results...), ...; 7 skipped'.

    `messages` are dbt's error log lines, read when the run results cannot say why (dbt
    stopped before running any node). An invalid segment declaration is reported as such.
    """
    results = run_results.get("results", [])
    failed = [result for result in results if result.get("status") in FAILED_STATUSES]
    skipped = sum(1 for result in results if result.get("status") == "skipped")
    declaration = declaration_problems(
        [*(result.get("message") or "" for result in failed), *messages]
    )
    if declaration:
        return f"dbt build failed: {declaration}; nothing was built"
    if not failed:
        return "dbt build failed before running any node (see the run's logs)"
    described = []
    for result in failed[:NAMES_SHOWN]:
        message = (result.get("message") or "").strip().splitlines()
        name = result.get("unique_id", "?")
        described.append(f"{name} ({message[0][:120]})" if message else name)
    more = " ..." if len(failed) > NAMES_SHOWN else ""
    return (
        f"dbt build failed: {len(failed)} node(s) failed: {', '.join(described)}{more}; "
        f"{skipped} downstream node(s) skipped"
    )
