"""Turning a failed dbt invocation into one readable line (for the UI, alerts and the script)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

FAILED_STATUSES = ("error", "fail", "runtime error")
NAMES_SHOWN = 5


def failure_summary(run_results: Mapping[str, Any]) -> str:
    """'dbt build failed: 2 node(s) failed: test.pulse.x (Got 3 results...), ...; 7 skipped'."""
    results = run_results.get("results", [])
    failed = [result for result in results if result.get("status") in FAILED_STATUSES]
    skipped = sum(1 for result in results if result.get("status") == "skipped")
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
