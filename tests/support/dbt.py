"""Running the real dbt project against the session database, and its fixtures.

dbt runs in process (dbt's Python entry point `dbtRunner`) with the connection
from `pulse.dbt_env.dbt_environment()`, exactly as `scripts/run_dbt.py` and Dagster
run it. Each test starts from empty app tables and no dbt schemas. The conftest.py of
each test package that runs dbt imports the fixtures from here.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from tests.support.tables import drop_dbt_schemas


@dataclass
class DbtRun:
    success: bool
    statuses: dict[str, str]  # node name -> dbt status (success, pass, fail, skipped, ...)
    events: set[str]  # names of the events dbt fired (PartialParsingSkipParsing, ...)
    # what dbt said went wrong: the invocation's exception and every failed node's message
    errors: str = ""
    # node name -> the SQL dbt compiled for it (`dbt compile` keeps a snapshot's nowhere else)
    compiled: dict[str, str] = field(default_factory=dict)


RunDbt = Callable[..., DbtRun]


@pytest.fixture(scope="session")
def dbt_target_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("dbt_target")


@pytest.fixture
def dbt_environment_applied(migrated_database: str) -> Iterator[None]:
    """dbt's connection variables in the environment for one test, then the old values back
    (PGOPTIONS among them would otherwise reach every later test's connections)."""
    from pulse.dbt_env import dbt_environment

    with pytest.MonkeyPatch.context() as patch:
        for name, value in dbt_environment().items():
            patch.setenv(name, value)
        yield


@pytest.fixture
def fresh_dbt(engine: Engine, clean_tables: None, dbt_environment_applied: None) -> None:
    """Empty app tables and no dbt-built schemas: every test builds from scratch."""
    drop_dbt_schemas(engine)


@pytest.fixture
def run_dbt(fresh_dbt: None, dbt_target_dir: Path) -> RunDbt:
    """`run_dbt("build", as_of=..., vars={...}, select=...)` runs dbt and returns its outcome.

    as_of goes through PULSE_AS_OF, as the orchestration passes it, and every run shares
    one target folder, so dbt parses partially as it does in production.
    """
    from dbt.cli.main import dbtRunner

    from pulse.dbt_env import DBT_PROJECT_DIR

    def run(
        *command: str,
        as_of: datetime | None = None,
        vars: dict[str, Any] | None = None,
        expect_success: bool = True,
    ) -> DbtRun:
        arguments = [
            *command,
            "--project-dir",
            str(DBT_PROJECT_DIR),
            "--profiles-dir",
            str(DBT_PROJECT_DIR),
            "--target-path",
            str(dbt_target_dir / "runs"),
            "--log-path",
            str(dbt_target_dir / "logs"),
            "--vars",
            json.dumps(vars or {}),
            "--quiet",
        ]
        events: set[str] = set()
        os.environ["PULSE_AS_OF"] = as_of.isoformat() if as_of is not None else ""
        try:
            outcome = dbtRunner(callbacks=[lambda event: events.add(event.info.name)]).invoke(
                arguments
            )
        finally:
            del os.environ["PULSE_AS_OF"]
        statuses: dict[str, str] = {}
        errors = [str(outcome.exception)] if outcome.exception else []
        results = getattr(outcome.result, "results", None) or []
        compiled: dict[str, str] = {}
        for node_result in results:
            statuses[node_result.node.name] = str(node_result.status)
            if getattr(node_result.node, "compiled_code", None):
                compiled[node_result.node.name] = node_result.node.compiled_code
            if str(node_result.status) in ("error", "fail") and node_result.message:
                errors.append(str(node_result.message))
        run_result = DbtRun(
            success=outcome.success,
            statuses=statuses,
            events=events,
            errors="\n".join(errors),
            compiled=compiled,
        )
        if expect_success and not outcome.success:
            failed = {
                name: status
                for name, status in statuses.items()
                if status not in ("success", "pass")
            }
            raise AssertionError(f"dbt {' '.join(command)} failed: {failed or outcome.exception}")
        return run_result

    return run
