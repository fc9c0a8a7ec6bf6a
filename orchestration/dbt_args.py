"""Building dbt command lines: a pure function, so what a run asks dbt to do is testable."""

from __future__ import annotations

import json
from datetime import UTC, datetime

# Dry runs build into `dryrun_staging`, `dryrun_analytics`, ...; nothing published is touched.
DRY_RUN_SCHEMA_PREFIX = "dryrun_"


def normalize_as_of(value: str) -> str:
    """An ISO-8601 time as dbt's `pulse__as_of` ('YYYY-MM-DD HH:MM:SS+00:00', UTC).

    A time without a zone is taken as UTC. Raises ValueError with a readable message.
    """
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        raise ValueError(
            f"as-of {value!r} is not an ISO-8601 time (example: 2026-11-01T00:00:00Z)"
        ) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC).isoformat(sep=" ")


def dbt_build_args(
    *,
    full_refresh: bool = False,
    as_of: str | None = None,
    schema_prefix: str = "",
    select: str | None = None,
) -> list[str]:
    """`dbt build` arguments for a refresh (or, with a schema prefix, a dry run)."""
    args = ["build"]
    if full_refresh:
        args.append("--full-refresh")
    if select:
        # Only tests whose every parent is selected: a test that also reads an unselected
        # model (a relationship to a downstream mart) would read a table this run never built.
        args += ["--select", select, "--indirect-selection", "cautious"]
    dbt_vars: dict[str, str] = {}
    if as_of:
        dbt_vars["pulse__as_of"] = normalize_as_of(as_of)
    if schema_prefix:
        dbt_vars["pulse__schema_prefix"] = schema_prefix
    if dbt_vars:
        args += ["--vars", json.dumps(dbt_vars, sort_keys=True)]
    return args
