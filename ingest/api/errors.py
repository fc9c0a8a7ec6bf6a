"""Error bodies a client developer can act on.

Validation errors (422) list every problem with its location, a dotted field name
(`events[3].occurred_at`) and a message; nothing of the request is echoed back.
Bodies are rendered ASCII-only, so no input can make the error response itself fail.
A database that cannot be reached (down, restarting, pool exhausted) is a 503 that
tells the client to retry, not a 500.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from sqlalchemy import exc as sa_exc
from starlette.responses import JSONResponse

from ingest.models import EVENT_TYPES
from ingest.observability.metrics import UNKNOWN_EVENT_TYPE, count_event

ACTIVITY_PREFIX = "/api/activity/"


class AsciiJSONResponse(JSONResponse):
    def render(self, content: Any) -> bytes:
        return json.dumps(content, ensure_ascii=True, separators=(",", ":")).encode("ascii")


def field_name(loc: Sequence[int | str]) -> str:
    """`("body", "events", 3, "occurred_at")` -> `events[3].occurred_at`."""
    parts = list(loc[1:]) if loc and loc[0] in ("body", "query", "path", "header") else list(loc)
    name = ""
    for part in parts:
        name += f"[{part}]" if isinstance(part, int) else (f".{part}" if name else str(part))
    return name or "body"


async def validation_error_handler(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RequestValidationError)
    problems = [
        {
            "loc": list(problem["loc"]),
            "field": field_name(problem["loc"]),
            "msg": problem["msg"],
            "type": problem["type"],
        }
        for problem in error.errors()
    ]
    if request.url.path.startswith(ACTIVITY_PREFIX):
        _count_rejected(error.body)
    summary = "; ".join(f"{problem['field']}: {problem['msg']}" for problem in problems[:10])
    return AsciiJSONResponse(
        status_code=422,
        content={"message": f"{len(problems)} invalid field(s): {summary}", "detail": problems},
    )


def _count_rejected(body: Any) -> None:
    """Every event of a refused request counts as rejected (a batch is all-or-nothing)."""
    if isinstance(body, dict) and isinstance(body.get("events"), list):
        events = body["events"]
    elif isinstance(body, dict):
        events = [body]
    else:
        events = [None]
    for event in events:
        event_type = event.get("event_type") if isinstance(event, dict) else None
        count_event(event_type if event_type in EVENT_TYPES else UNKNOWN_EVENT_TYPE, "rejected")


# Errors that say "the database cannot be reached right now", not "this request is wrong".
DATABASE_UNAVAILABLE = (sa_exc.OperationalError, sa_exc.InterfaceError, sa_exc.TimeoutError)


async def database_unavailable_handler(request: Request, error: Exception) -> JSONResponse:
    return AsciiJSONResponse(
        status_code=503,
        content={
            "detail": "the database is unavailable right now; retry later "
            "(events: with the same event_id)"
        },
        headers={"Retry-After": "1"},
    )
