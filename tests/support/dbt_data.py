"""Writing app rows and reading dbt outputs in dbt tests (plain SQL on the session database)."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine, text


def add_user(
    engine: Engine, user_id: int, created_at: datetime, last_login_at: datetime | None = None
) -> None:
    # updated_at = created_at: the row is old news to an incremental run
    with engine.begin() as connection:
        connection.execute(
            text(
                "insert into app.users (id, created_at, last_login_at, updated_at) "
                "values (:id, :created_at, :last_login_at, :created_at)"
            ),
            {"id": user_id, "created_at": created_at, "last_login_at": last_login_at},
        )


def add_event(
    engine: Engine,
    user_id: int,
    event_type: str,
    occurred_at: datetime,
    *,
    play_duration_seconds: int | None = None,
    received_now: bool = False,
) -> None:
    """An event received one second after it happened, or now (new data for an incremental run)."""
    received = "now()" if received_now else ":occurred_at + interval '1 second'"
    with engine.begin() as connection:
        connection.execute(
            text(
                "insert into app.activity_events "
                "(event_id, user_id, event_type, occurred_at, received_at, play_duration_seconds) "
                f"values (:event_id, :user_id, :event_type, :occurred_at, {received}, :duration)"
            ),
            {
                "event_id": uuid.uuid4(),
                "user_id": user_id,
                "event_type": event_type,
                "occurred_at": occurred_at,
                "duration": play_duration_seconds,
            },
        )


def add_snapshot(
    engine: Engine,
    user_id: int,
    deposit_amount: int | Decimal,
    updated_at: datetime,
    *,
    received_now: bool = False,
) -> None:
    received = "now()" if received_now else ":updated_at + interval '2 seconds'"
    with engine.begin() as connection:
        connection.execute(
            text(
                "insert into app.ranking_snapshots "
                "(user_id, deposit_amount, updated_at, received_at) "
                f"values (:user_id, :amount, :updated_at, {received})"
            ),
            {"user_id": user_id, "amount": deposit_amount, "updated_at": updated_at},
        )


def add_override(
    engine: Engine,
    user_id: int,
    segment: str,
    created_at: datetime,
    expires_at: datetime | None,
    reason: str = "campaign test",
) -> None:
    with engine.begin() as connection:
        connection.execute(
            text(
                "insert into app.segment_overrides "
                "(user_id, segment, reason, expires_at, created_by, created_at) "
                "values (:user_id, :segment, :reason, :expires_at, 'admin@test', :created_at)"
            ),
            {
                "user_id": user_id,
                "segment": segment,
                "reason": reason,
                "expires_at": expires_at,
                "created_at": created_at,
            },
        )


def rows_by_user(engine: Engine, relation: str) -> dict[int, dict[str, Any]]:
    with engine.connect() as connection:
        result = connection.execute(text(f"select * from {relation} order by user_id"))
        return {row["user_id"]: dict(row) for row in result.mappings()}


def days(count: float) -> timedelta:
    return timedelta(days=count)
