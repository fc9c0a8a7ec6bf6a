"""Players' activity events: `/api/activity/record` and `/api/activity/batch`."""

from __future__ import annotations

import json
import uuid
from collections import Counter
from collections.abc import Sequence
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, HTTPException, Request, Response, status
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError

from ingest.api.deps import CurrentUserId
from ingest.db import get_async_engine
from ingest.events.group_commit import GroupCommitWriter, WriterStopped
from ingest.events.store import EventRow, write_events
from ingest.observability.metrics import count_event
from ingest.schemas.activity import (
    ActivityBatchCreate,
    ActivityEventCreate,
    BatchReceipt,
    CheckedEvent,
    EventReceipt,
    checked_batch,
)
from ingest.schemas.instants import utc_now

router = APIRouter(prefix="/api/activity", tags=["activity"])

CONFLICT_HINT = "make a new UUID for each event and reuse it only to retry that same event"

ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"description": "Missing, malformed, wrongly signed or expired token"},
    409: {"description": "An event_id is already stored for another user"},
    413: {"description": "Body larger than 1 MiB"},
    422: {"description": "Invalid body; `detail` names each bad field"},
    503: {"description": "Storage unavailable; retry with the same event_id"},
}


def _row(event: ActivityEventCreate, user_id: int) -> EventRow:
    return EventRow(
        event_id=event.event_id or uuid.uuid4(),
        user_id=user_id,
        event_type=event.event_type,
        occurred_at=event.occurred_at or utc_now(),
        play_duration_seconds=event.play_duration_seconds,
        metadata=orjson.Fragment(event.metadata_json),
    )


def _unavailable() -> HTTPException:
    return HTTPException(
        status_code=status.HTTP_503_SERVICE_UNAVAILABLE,
        detail="events cannot be stored right now; retry later with the same event_id",
    )


@router.post(
    "/record",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=EventReceipt,
    responses=ERROR_RESPONSES,
    summary="Record one activity event of the token's user (stored once per event_id)",
)
async def record_event(
    event: ActivityEventCreate, user_id: CurrentUserId, request: Request
) -> EventReceipt:
    row = _row(event, user_id)
    writer: GroupCommitWriter = request.app.state.event_writer
    try:
        outcome = await writer.write(row)
    except WriterStopped as error:
        raise _unavailable() from error
    if outcome == "conflict":
        count_event(row.event_type, "rejected")
        raise HTTPException(
            status_code=status.HTTP_409_CONFLICT,
            detail=f"event_id {row.event_id} is already stored for another user; " + CONFLICT_HINT,
        )
    count_event(row.event_type, outcome)
    return EventReceipt(event_id=row.event_id, status=outcome)


async def _batch_body(request: Request) -> list[CheckedEvent]:
    """The batch's events, parsed and validated from the raw bytes (`checked_batch`).

    pydantic validates JSON bytes directly several times faster than FastAPI's
    parse-then-validate, which matters at 500 events a request. Errors go through the
    same 422 handler as every other body, with the same `body` locations.
    """
    raw = await request.body()
    try:
        return checked_batch(raw)
    except ValidationError as error:
        problems = [{**problem, "loc": ("body", *problem["loc"])} for problem in error.errors()]
        raise RequestValidationError(problems, body=_parsed_or_none(raw)) from None


def _parsed_or_none(raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        return None


# The body is read by `_batch_body`, so the schema is declared here for the OpenAPI document.
_BATCH_REQUEST_BODY = {
    "required": True,
    "content": {
        "application/json": {
            "schema": {
                key: value
                for key, value in ActivityBatchCreate.model_json_schema(
                    ref_template="#/components/schemas/{model}"
                ).items()
                if key != "$defs"
            }
        }
    },
}


@router.post(
    "/batch",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=BatchReceipt,
    responses=ERROR_RESPONSES,
    summary="Record 1..500 events at once; all stored or none",
    openapi_extra={"requestBody": _BATCH_REQUEST_BODY},
)
async def record_batch(
    user_id: CurrentUserId, events: Annotated[list[CheckedEvent], Depends(_batch_body)]
) -> Response:
    now = utc_now()  # one reading of the clock for every event without occurred_at
    rows = [
        EventRow(
            event_id=event.event_id or uuid.uuid4(),
            user_id=user_id,
            event_type=event.event_type,
            occurred_at=occurred_at or now,
            play_duration_seconds=event.play_duration_seconds,
            metadata=orjson.Fragment(metadata_json),
        )
        for event, occurred_at, metadata_json in events
    ]
    outcomes = await write_events(get_async_engine(), rows, all_or_nothing=True)
    conflicts = [index for index, outcome in enumerate(outcomes) if outcome == "conflict"]
    if conflicts:  # rolled back: nothing of the batch is stored
        _count_outcomes(rows, ["rejected"] * len(rows))
        raise HTTPException(
            status_code=status.HTTP_409_CONFLICT,
            detail={
                "message": f"{len(conflicts)} event_id(s) are already stored for another "
                f"user; nothing of this batch was stored; {CONFLICT_HINT}",
                "conflicts": [
                    {"index": index, "event_id": str(rows[index].event_id)} for index in conflicts
                ],
            },
        )

    _count_outcomes(rows, outcomes)
    accepted = outcomes.count("accepted")
    # Written directly by orjson (uuids included): validating 500 receipts against the
    # response model again, or the standard json module, cost more than storing them. The
    # shape is still BatchReceipt (the tests check it).
    receipt = {
        "accepted": accepted,
        "duplicates": len(rows) - accepted,
        "results": [
            {"event_id": row.event_id, "status": outcome}
            for row, outcome in zip(rows, outcomes, strict=True)
        ],
    }
    return Response(
        orjson.dumps(receipt),
        status_code=status.HTTP_202_ACCEPTED,
        media_type="application/json",
    )


def _count_outcomes(rows: list[EventRow], outcomes: Sequence[str]) -> None:
    """Counts a batch's events once per (type, outcome), not once per event."""
    tally = Counter((row.event_type, outcome) for row, outcome in zip(rows, outcomes, strict=True))
    for (event_type, outcome), amount in tally.items():
        count_event(event_type, outcome, amount)
