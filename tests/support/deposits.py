"""Deposit rows as another service writes and reads them: plain SQL, its own connection."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine, text


def write_current(engine: Engine, statement: str, **params: Any) -> datetime:
    """Run `statement` in one transaction of its own; returns that transaction's time."""
    with engine.begin() as connection:
        connection.execute(text(statement), params)
        transaction_time: datetime = connection.execute(text("select now()")).scalar_one()
    return transaction_time


def upsert_current(
    engine: Engine, user_id: int, deposit_amount: int | Decimal, updated_at: datetime
) -> datetime:
    """The platform's admin upsert of a current total; returns the transaction's time."""
    return write_current(
        engine,
        "insert into app.external_ranking_data (user_id, deposit_amount, updated_at) "
        "values (:user_id, :amount, :updated_at) "
        "on conflict (user_id) do update "
        "set deposit_amount = excluded.deposit_amount, updated_at = excluded.updated_at",
        user_id=user_id,
        amount=deposit_amount,
        updated_at=updated_at,
    )


def add_user(engine: Engine, user_id: int, created_at: datetime) -> None:
    with engine.begin() as connection:
        connection.execute(
            text("insert into app.users (id, created_at) values (:id, :created_at)"),
            {"id": user_id, "created_at": created_at},
        )


def snapshots(engine: Engine, user_id: int) -> list[tuple[Decimal, datetime]]:
    """The user's deposit snapshots as (amount, updated_at), oldest first."""
    with engine.connect() as connection:
        rows = connection.execute(
            text(
                "select deposit_amount, updated_at from app.ranking_snapshots "
                "where user_id = :id order by updated_at"
            ),
            {"id": user_id},
        )
        return [(row.deposit_amount, row.updated_at) for row in rows]


def current_deposit(engine: Engine, user_id: int) -> tuple[Decimal, datetime] | None:
    """The user's row of app.external_ranking_data as (amount, updated_at)."""
    with engine.connect() as connection:
        row = connection.execute(
            text(
                "select deposit_amount, updated_at from app.external_ranking_data "
                "where user_id = :id"
            ),
            {"id": user_id},
        ).first()
    return (row.deposit_amount, row.updated_at) if row else None
