"""Building dbt command lines and environments: pure functions, so what a run asks dbt
to do is testable."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from pulse.dbt_env import SEGMENTS_VAR

# Dry runs build into `dryrun_staging`, `dryrun_analytics`, ...; nothing published is touched.
DRY_RUN_SCHEMA_PREFIX = "dryrun_"

# How a run's as_of reaches dbt (macros/pulse_as_of.sql). Not `--vars`: dbt re-parses the
# whole project whenever they change, and as_of changes on every scheduled run.
AS_OF_VARIABLE = "PULSE_AS_OF"
# "1" marks a replay of a past moment: the publish gate publishes its segments but never
# enters them into the history or the change feed (macros/pulse_publish.sql).
REPLAY_VARIABLE = "PULSE_REPLAY"

# dagster-dbt runs a subset of the models (a replay, assets picked in the UI) as
# `--select <models>` and leaves the tests to dbt's indirect selection, whose default
# (eager) also runs a test that reads a model the run does not build (the relationship
# from user_segment_changes to the users). Cautious: only tests whose every parent is
# selected. A run of every model selects every test either way.
INDIRECT_SELECTION_ENVIRONMENT = {"DBT_INDIRECT_SELECTION": "cautious"}


def normalize_as_of(value: str) -> str:
    """An ISO-8601 time as dbt reads as_of ('YYYY-MM-DD HH:MM:SS+00:00', UTC).

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


def dbt_as_of_environment(as_of: str | None, *, replay: bool = False) -> dict[str, str]:
    """The environment that sets a run's as_of (empty value: the run's start) and marks a
    replay (a past moment published without entering the history)."""
    return {
        AS_OF_VARIABLE: normalize_as_of(as_of) if as_of else "",
        REPLAY_VARIABLE: "1" if replay else "",
    }


def dbt_build_args(
    *,
    full_refresh: bool = False,
    schema_prefix: str = "",
    select: str | None = None,
    segments: list[Any] | None = None,
) -> list[str]:
    """`dbt build` arguments for a refresh (or, with a schema prefix, a dry run).

    `segments` replaces the declaration of dbt_project.yml for this run (var
    pulse__segments): a dry run of a proposed declaration.

    dbt's unit tests check the models' SQL against fixed inputs: they change only with
    the code, so CI runs them (`make test`) and a refresh does not spend its time on them.
    """
    args = ["build", "--exclude-resource-type", "unit_test"]
    if full_refresh:
        args.append("--full-refresh")
    if select:
        # Only tests whose every parent is selected: a test that also reads an unselected
        # model (a relationship to a downstream mart) would read a table this run never built.
        args += ["--select", select, "--indirect-selection", "cautious"]
    dbt_vars: dict[str, Any] = {}
    if schema_prefix:
        dbt_vars["pulse__schema_prefix"] = schema_prefix
    if segments is not None:
        dbt_vars[SEGMENTS_VAR] = segments
    if dbt_vars:
        args += ["--vars", json.dumps(dbt_vars)]
    return args
