"""Bodies of the activity endpoints: events in, receipts out."""

from __future__ import annotations

import json
import uuid
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    model_validator,
)

from ingest.models import MAX_PLAY_DURATION_SECONDS
from ingest.schemas.instants import checked_instant

MAX_METADATA_BYTES = 4096
MAX_BATCH_EVENTS = 500

EventType = Literal[
    "roulette_play", "dice_play", "lottery_play", "bonus_used", "play_duration", "login"
]
EventStatus = Literal["accepted", "duplicate"]


# One encoder for every event: json.dumps with options builds a new encoder per call.
_METADATA_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def serialized_metadata(metadata: dict[str, Any]) -> str:
    """The JSON text stored in the `metadata` column (compact, UTF-8)."""
    return _METADATA_ENCODER.encode(metadata)


def checked_metadata_json(metadata: dict[str, Any]) -> str:
    """The stored JSON text of `metadata`, or ValueError saying why it cannot be stored."""
    try:
        text = serialized_metadata(metadata)
        size = len(text.encode("utf-8"))
    except (ValueError, UnicodeEncodeError) as error:
        raise ValueError(
            f"metadata must be plain JSON (no NaN, no lone surrogates): {error}"
        ) from error
    if "\\u0000" in text or "\x00" in text:
        raise ValueError("metadata must not contain NUL characters (\\u0000)")
    if size > MAX_METADATA_BYTES:
        raise ValueError(
            f"metadata is {size} bytes serialized; at most {MAX_METADATA_BYTES} are allowed"
        )
    return text


class MetadataObject(dict[str, Any]):
    """A validated metadata object that carries its serialized JSON text."""

    __slots__ = ("json_text",)

    def __init__(self, value: dict[str, Any], json_text: str) -> None:
        super().__init__(value)
        self.json_text = json_text


def _checked_metadata(metadata: dict[str, Any]) -> dict[str, Any]:
    return MetadataObject(metadata, checked_metadata_json(metadata))


class ActivityEventCreate(BaseModel):
    """One thing a player did. Only `event_type` is required."""

    model_config = ConfigDict(extra="forbid")

    event_id: uuid.UUID | None = Field(
        default=None,
        description="A UUID the client makes once per event and reuses on every retry; "
        "the server stores each event_id once. Without it the server makes one, and a "
        "retried request is stored twice.",
    )
    event_type: EventType
    occurred_at: Annotated[AwareDatetime, AfterValidator(checked_instant)] | None = Field(
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
    metadata: Annotated[dict[str, Any], AfterValidator(_checked_metadata)] = Field(
        default_factory=dict, description="Free-form JSON object, at most 4 KiB serialized."
    )

    @model_validator(mode="after")
    def _duration_for_play_duration(self) -> ActivityEventCreate:
        if self.event_type == "play_duration" and self.play_duration_seconds is None:
            raise ValueError("play_duration_seconds is required when event_type is play_duration")
        return self

    @property
    def metadata_json(self) -> str:
        """The JSON text to store: made once while validating (a batch has 500 of them)."""
        if isinstance(self.metadata, MetadataObject):
            return self.metadata.json_text
        return checked_metadata_json(self.metadata)


class ActivityBatchCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    events: list[ActivityEventCreate] = Field(min_length=1, max_length=MAX_BATCH_EVENTS)


class EventReceipt(BaseModel):
    event_id: uuid.UUID
    status: EventStatus


class BatchReceipt(BaseModel):
    accepted: int
    duplicates: int
    results: list[EventReceipt] = Field(description="One receipt per input event, in input order.")
