"""Bodies of the activity endpoints: events in, receipts out."""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Any, Literal

import orjson
from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

from ingest.models import MAX_PLAY_DURATION_SECONDS
from ingest.schemas.instants import checked_instant, utc_now

MAX_METADATA_BYTES = 4096
MAX_BATCH_EVENTS = 500

EventType = Literal[
    "roulette_play", "dice_play", "lottery_play", "bonus_used", "play_duration", "login"
]
EventStatus = Literal["accepted", "duplicate"]


# One encoder for every event: json.dumps with options builds a new encoder per call.
_METADATA_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def serialized_metadata(metadata: dict[str, Any]) -> str:
    """The metadata as compact UTF-8 JSON by the standard library (strict: no NaN)."""
    return _METADATA_ENCODER.encode(metadata)


def checked_metadata_json(metadata: dict[str, Any]) -> bytes:
    """The stored JSON text of `metadata` (compact UTF-8), or ValueError saying why it cannot
    be stored.

    orjson writes it (a batch has 500 of them, and the standard encoder costs several times
    more); it writes NaN and Infinity as null, so any output with a null in it is checked
    again by the strict standard encoder, as is anything orjson refuses (integers beyond
    64 bits, lone surrogates), which then decides.
    """
    try:
        data = orjson.dumps(metadata)
    except orjson.JSONEncodeError:
        data = _strict_json(metadata)
    else:
        if b"null" in data:
            _strict_json(metadata)
    if b"\\u0000" in data:
        raise ValueError("metadata must not contain NUL characters (\\u0000)")
    if len(data) > MAX_METADATA_BYTES:
        raise ValueError(
            f"metadata is {len(data)} bytes serialized; at most {MAX_METADATA_BYTES} are allowed"
        )
    return data


def _strict_json(metadata: dict[str, Any]) -> bytes:
    try:
        return serialized_metadata(metadata).encode("utf-8")
    except (ValueError, UnicodeEncodeError) as error:
        raise ValueError(
            f"metadata must be plain JSON (no NaN, no lone surrogates): {error}"
        ) from error


def checked_play_duration(event_type: str, play_duration_seconds: int | None) -> None:
    if event_type == "play_duration" and play_duration_seconds is None:
        raise ValueError("play_duration_seconds is required when event_type is play_duration")


class MetadataObject(dict[str, Any]):
    """A validated metadata object that carries its serialized JSON text."""

    __slots__ = ("json_text",)

    def __init__(self, value: dict[str, Any], json_text: bytes) -> None:
        super().__init__(value)
        self.json_text = json_text


def _checked_metadata(metadata: dict[str, Any]) -> dict[str, Any]:
    return MetadataObject(metadata, checked_metadata_json(metadata))


class ActivityEventFields(BaseModel):
    """The fields of an event and their types and bounds, without the checks that need
    Python code (those are in `ActivityEventCreate` and, per batch, `checked_batch`)."""

    model_config = ConfigDict(extra="forbid")

    event_id: uuid.UUID | None = Field(
        default=None,
        description="A UUID the client makes once per event and reuses on every retry; "
        "the server stores each event_id once. Without it the server makes one, and a "
        "retried request is stored twice.",
    )
    event_type: EventType
    occurred_at: AwareDatetime | None = Field(
        default=None,
        description="RFC 3339 with offset; default: the server time. At most 5 minutes ahead "
        "of the server clock; late events (days or weeks old) are accepted.",
    )
    play_duration_seconds: int | None = Field(
        default=None,
        ge=0,
        le=MAX_PLAY_DURATION_SECONDS,
        description="Required for play_duration, allowed on any type.",
    )
    metadata: dict[str, Any] = Field(
        default_factory=dict, description="Free-form JSON object, at most 4 KiB serialized."
    )


class ActivityEventCreate(ActivityEventFields):
    """One thing a player did. Only `event_type` is required."""

    @field_validator("occurred_at")
    @classmethod
    def _in_range(cls, value: datetime | None) -> datetime | None:
        return None if value is None else checked_instant(value)

    @field_validator("metadata")
    @classmethod
    def _storable(cls, value: dict[str, Any]) -> dict[str, Any]:
        return _checked_metadata(value)

    @model_validator(mode="after")
    def _duration_for_play_duration(self) -> ActivityEventCreate:
        checked_play_duration(self.event_type, self.play_duration_seconds)
        return self

    @property
    def metadata_json(self) -> bytes:
        """The JSON text to store, made once while validating."""
        if isinstance(self.metadata, MetadataObject):
            return self.metadata.json_text
        return checked_metadata_json(self.metadata)


class ActivityBatchCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    events: list[ActivityEventCreate] = Field(min_length=1, max_length=MAX_BATCH_EVENTS)


class _BatchFields(BaseModel):
    """The batch with its events' field types and bounds only: pydantic checks these in
    Rust, without calling back into Python for each of 500 events."""

    model_config = ConfigDict(extra="forbid")

    events: list[ActivityEventFields] = Field(min_length=1, max_length=MAX_BATCH_EVENTS)


# A valid event of a batch: its fields, occurred_at in UTC (None: not given), the metadata's
# JSON text to store.
CheckedEvent = tuple[ActivityEventFields, datetime | None, bytes]


def checked_batch(raw: bytes) -> list[CheckedEvent]:
    """The events of a `/batch` body (JSON bytes), valid as `ActivityBatchCreate` defines.

    The body is validated in one pass for types and bounds, then one loop makes the
    checks that need Python (timestamp range against one reading of the clock, play
    duration, metadata size) and serializes each metadata once. If anything is wrong,
    `ActivityBatchCreate` validates the body again and raises its ValidationError, which
    names every bad index and field; so errors are exactly those of the full model.
    """
    try:
        return _checked_events(_BatchFields.model_validate_json(raw).events)
    except ValueError:  # ValidationError is one too
        pass
    batch = ActivityBatchCreate.model_validate_json(raw)
    # Reached only if the second look finds it valid: a timestamp at the clock-skew limit.
    return [(event, event.occurred_at, event.metadata_json) for event in batch.events]


def _checked_events(events: list[ActivityEventFields]) -> list[CheckedEvent]:
    now = utc_now()
    texts = _metadata_texts([event.metadata for event in events])
    checked: list[CheckedEvent] = []
    for event, text in zip(events, texts, strict=True):
        occurred_at = event.occurred_at
        if occurred_at is not None:
            occurred_at = checked_instant(occurred_at, now)
        checked_play_duration(event.event_type, event.play_duration_seconds)
        if text is None or len(text) > MAX_METADATA_BYTES or b"null" in text or b"\\u0000" in text:
            text = checked_metadata_json(event.metadata)  # decides, with the reason if refused
        checked.append((event, occurred_at, text))
    return checked


# orjson escapes every control character inside strings, so a raw 0x1F byte appears in its
# output only where this fragment puts it.
_SEPARATOR = orjson.Fragment(b"\x1f")


def _metadata_texts(metadatas: list[dict[str, Any]]) -> list[bytes] | list[None]:
    """What orjson writes for each metadata, from one call for the whole batch (a call per
    event costs more than the writing itself); all None if orjson refuses one (then
    `checked_metadata_json` decides for each)."""
    chunks: list[Any] = []
    for metadata in metadatas:
        chunks.append(metadata)
        chunks.append(_SEPARATOR)
    try:
        data = orjson.dumps(chunks)  # b'[m1,\x1f,m2,\x1f,...,mN,\x1f]'
    except orjson.JSONEncodeError:
        return [None] * len(metadatas)
    return data[1:-3].split(b",\x1f,")


class EventReceipt(BaseModel):
    event_id: uuid.UUID
    status: EventStatus


class BatchReceipt(BaseModel):
    accepted: int
    duplicates: int
    results: list[EventReceipt] = Field(description="One receipt per input event, in input order.")
