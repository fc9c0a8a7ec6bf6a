"""Typed SQLAlchemy models of the tables the service writes (schema `app`).

Table and column names are a contract read by dbt, Dagster and the platform.
The DDL itself is owned by Alembic (`alembic/versions/`); a test checks that
these models and the migrations agree.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    Integer,
    Numeric,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from ingest.db import Base

EVENT_TYPES = (
    "roulette_play",
    "dice_play",
    "lottery_play",
    "bonus_used",
    "play_duration",
    "login",
)
OVERRIDE_ACTIONS = ("set", "clear")
MAX_PLAY_DURATION_SECONDS = 86_400


def _in_list(column: str, values: tuple[str, ...]) -> str:
    quoted = ", ".join(f"'{value}'" for value in values)
    return f"{column} IN ({quoted})"


class User(Base):
    """Mirror of the platform's users."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    # incremental dbt runs and their tests find changed users by updated_at
    __table_args__ = (Index(None, "updated_at"),)


class ActivityEvent(Base):
    """Raw, append-only activity events; `event_id` is the client-made dedupe key."""

    __tablename__ = "activity_events"
    __table_args__ = (
        CheckConstraint(_in_list("event_type", EVENT_TYPES), name="event_type"),
        CheckConstraint(
            f"play_duration_seconds BETWEEN 0 AND {MAX_PLAY_DURATION_SECONDS}",
            name="play_duration_seconds",
        ),
        Index(None, "user_id", "occurred_at"),
        Index(None, "received_at"),
    )

    event_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    event_type: Mapped[str] = mapped_column(Text)
    occurred_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    received_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    play_duration_seconds: Mapped[int | None] = mapped_column(Integer)
    # `metadata` is reserved on declarative classes, hence the attribute name.
    event_metadata: Mapped[dict[str, Any]] = mapped_column(
        "metadata", JSONB, server_default=text("'{}'::jsonb")
    )


class ExternalRankingData(Base):
    """Current deposit total per user, as the platform's ranking feed has it."""

    __tablename__ = "external_ranking_data"
    __table_args__ = (CheckConstraint("deposit_amount >= 0", name="deposit_amount"),)

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    deposit_amount: Mapped[Decimal] = mapped_column(Numeric(18, 2))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class RankingSnapshot(Base):
    """Append-only history of every accepted deposit-feed upsert."""

    __tablename__ = "ranking_snapshots"
    __table_args__ = (
        UniqueConstraint("user_id", "updated_at"),
        CheckConstraint("deposit_amount >= 0", name="deposit_amount"),
        Index(None, "received_at"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(always=True), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    deposit_amount: Mapped[Decimal] = mapped_column(Numeric(18, 2))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    received_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )


class SegmentOverride(Base):
    """An admin's manual segment for a user; wins over every rule until it expires.

    `segment` is any name: the admin API accepts only names of the published segment
    catalogue, and the pipeline ignores an override whose name the catalogue no longer holds.
    """

    __tablename__ = "segment_overrides"
    __table_args__ = (CheckConstraint("length(btrim(reason)) > 0", name="reason_not_blank"),)

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    segment: Mapped[str] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(Text)
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class SegmentOverrideAudit(Base):
    """Append-only log: who set or cleared which override, when and why."""

    __tablename__ = "segment_override_audit"
    __table_args__ = (
        CheckConstraint(_in_list("action", OVERRIDE_ACTIONS), name="action"),
        Index(None, "user_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(always=True), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    action: Mapped[str] = mapped_column(Text)
    segment: Mapped[str | None] = mapped_column(Text)
    reason: Mapped[str | None] = mapped_column(Text)
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    actor: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class LakeExportWatermark(Base):
    """How far the Parquet lake export has read a raw table (see orchestration/lake/export.py)."""

    __tablename__ = "lake_export_watermarks"

    table_name: Mapped[str] = mapped_column(Text, primary_key=True)
    # Rows stored at or before this moment have been exported.
    exported_until: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    exported_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
