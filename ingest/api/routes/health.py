"""Liveness and readiness probes."""

from __future__ import annotations

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy.exc import SQLAlchemyError

from ingest.db import get_engine
from pulse.settings import PROJECT_ROOT

router = APIRouter(tags=["health"])


def _head_revisions() -> set[str]:
    from alembic.config import Config

    config = Config(toml_file=str(PROJECT_ROOT / "pyproject.toml"))
    return set(ScriptDirectory.from_config(config).get_heads())


@router.get("/healthz", summary="The process is up")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get(
    "/readyz",
    summary="The database is reachable and its schema is at the migration head",
    responses={503: {"description": "Database unreachable or schema not migrated"}},
)
def readyz() -> JSONResponse:
    try:
        with get_engine().connect() as connection:
            current = set(MigrationContext.configure(connection).get_current_heads())
    except SQLAlchemyError as error:
        reason = f"database unreachable: {type(error).__name__}"
        return JSONResponse({"status": "unavailable", "reason": reason}, status_code=503)
    expected = _head_revisions()
    if current != expected:
        return JSONResponse(
            {
                "status": "unavailable",
                "reason": f"schema at {sorted(current)}, expected {sorted(expected)}: "
                "run `alembic upgrade head`",
            },
            status_code=503,
        )
    return JSONResponse({"status": "ready"})
