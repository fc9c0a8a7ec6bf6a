"""Writes of `app.external_ranking_data` by other services keep the same snapshots as the feed.

Every write here is plain SQL on a connection of its own, as the platform's admin
tools write the table; the snapshots must come out as `PUT /admin/api/external-ranking`
would have stored them, and no such write may fail because of Pulse.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from decimal import Decimal

import httpx
import pytest
from sqlalchemy import Engine, text

from tests.support.deposits import (
    add_user,
    current_deposit,
    snapshots,
    upsert_current,
    write_current,
)
from tests.support.players import ago, fresh_user_id, iso

pytestmark = pytest.mark.anyio


def test_first_insert_keeps_a_snapshot(engine: Engine) -> None:
    user_id = fresh_user_id()
    add_user(engine, user_id, ago(days=30))
    t1 = ago(hours=3)
    write_current(
        engine,
        "insert into app.external_ranking_data (user_id, deposit_amount, updated_at) "
        "values (:user_id, 1500.50, :updated_at)",
        user_id=user_id,
        updated_at=t1,
    )
    assert snapshots(engine, user_id) == [(Decimal("1500.50"), t1)]
    assert current_deposit(engine, user_id) == (Decimal("1500.50"), t1)


def test_increase_keeps_a_snapshot(engine: Engine) -> None:
    user_id = fresh_user_id()
    add_user(engine, user_id, ago(days=30))
    t1, t2 = ago(hours=3), ago(hours=2)
    upsert_current(engine, user_id, 100, t1)
    upsert_current(engine, user_id, 250, t2)
    assert snapshots(engine, user_id) == [(Decimal("100.00"), t1), (Decimal("250.00"), t2)]
    assert current_deposit(engine, user_id) == (Decimal("250.00"), t2)


def test_decrease_to_zero_keeps_a_snapshot(engine: Engine) -> None:
    user_id = fresh_user_id()
    add_user(engine, user_id, ago(days=30))
    t1, t2 = ago(hours=3), ago(hours=2)
    upsert_current(engine, user_id, 900, t1)
    upsert_current(engine, user_id, 0, t2)
    assert snapshots(engine, user_id) == [(Decimal("900.00"), t1), (Decimal("0.00"), t2)]


def test_repeat_of_the_same_amount(engine: Engine) -> None:
    user_id = fresh_user_id()
    add_user(engine, user_id, ago(days=30))
    t1, t2 = ago(hours=3), ago(hours=2)
    upsert_current(engine, user_id, 400, t1)
    # the same row again: nothing new (the feed's "unchanged")
    upsert_current(engine, user_id, 400, t1)
    # the same amount at a later time: a snapshot, as the feed keeps one (no charge)
    upsert_current(engine, user_id, 400, t2)
    assert snapshots(engine, user_id) == [(Decimal("400.00"), t1), (Decimal("400.00"), t2)]


def test_update_that_leaves_updated_at_alone_is_stamped(engine: Engine) -> None:
    user_id = fresh_user_id()
    add_user(engine, user_id, ago(days=30))
    t1 = ago(hours=3)
    upsert_current(engine, user_id, 100, t1)
    stamped = write_current(
        engine,
        "update app.external_ranking_data set deposit_amount = 700 where user_id = :user_id",
        user_id=user_id,
    )
    assert current_deposit(engine, user_id) == (Decimal("700.00"), stamped)
    assert snapshots(engine, user_id) == [(Decimal("100.00"), t1), (Decimal("700.00"), stamped)]


def test_change_sent_with_an_older_time_is_stamped_and_unchanged_amount_stays(
    engine: Engine,
) -> None:
    user_id = fresh_user_id()
    add_user(engine, user_id, ago(days=30))
    t0, t1 = ago(hours=5), ago(hours=3)
    upsert_current(engine, user_id, 100, t1)
    # the same amount with an older time changes nothing: the current row never goes back
    upsert_current(engine, user_id, 100, t0)
    assert current_deposit(engine, user_id) == (Decimal("100.00"), t1)
    # another amount with an older time is a change now
    stamped = upsert_current(engine, user_id, 80, t0)
    assert current_deposit(engine, user_id) == (Decimal("80.00"), stamped)
    assert snapshots(engine, user_id) == [(Decimal("100.00"), t1), (Decimal("80.00"), stamped)]


def test_two_changes_in_one_transaction_keep_both_in_order(engine: Engine) -> None:
    user_id = fresh_user_id()
    add_user(engine, user_id, ago(days=30))
    upsert_current(engine, user_id, 100, ago(hours=3))
    with engine.begin() as connection:
        for amount in (300, 200):
            connection.execute(
                text(
                    "update app.external_ranking_data set deposit_amount = :amount "
                    "where user_id = :user_id"
                ),
                {"amount": amount, "user_id": user_id},
            )
    amounts = [amount for amount, _ in snapshots(engine, user_id)]
    assert amounts == [Decimal("100.00"), Decimal("300.00"), Decimal("200.00")]
    assert current_deposit(engine, user_id) == snapshots(engine, user_id)[-1]


def test_future_updated_at_is_clamped_to_the_transaction_time(engine: Engine) -> None:
    user_id = fresh_user_id()
    add_user(engine, user_id, ago(days=30))
    clamped = upsert_current(engine, user_id, 1200, ago(days=-2))
    assert current_deposit(engine, user_id) == (Decimal("1200.00"), clamped)
    assert snapshots(engine, user_id) == [(Decimal("1200.00"), clamped)]


def test_missing_updated_at_takes_the_transaction_time(engine: Engine) -> None:
    user_id = fresh_user_id()
    add_user(engine, user_id, ago(days=30))
    stamped = write_current(
        engine,
        "insert into app.external_ranking_data (user_id, deposit_amount) values (:user_id, 5)",
        user_id=user_id,
    )
    assert snapshots(engine, user_id) == [(Decimal("5.00"), stamped)]


def test_unknown_user_is_created_and_keeps_a_snapshot(engine: Engine) -> None:
    user_id = fresh_user_id()
    t1 = ago(hours=3)
    upsert_current(engine, user_id, 42, t1)
    with engine.connect() as connection:
        created_at = connection.scalar(
            text("select created_at from app.users where id = :id"), {"id": user_id}
        )
    assert created_at == t1
    assert snapshots(engine, user_id) == [(Decimal("42.00"), t1)]


def test_writer_allowed_only_the_current_table(engine: Engine) -> None:
    """A role that may write external_ranking_data and nothing else in schema app."""
    user_id = fresh_user_id()
    role = f"pulse_platform_{uuid.uuid4().hex[:12]}"
    with engine.begin() as connection:
        connection.execute(text(f"create role {role}"))
        connection.execute(text(f"grant usage on schema app to {role}"))
        connection.execute(
            text(f"grant select, insert, update on app.external_ranking_data to {role}")
        )
    try:
        t1 = ago(hours=1)
        with engine.begin() as connection:
            connection.execute(text(f"set local role {role}"))
            connection.execute(
                text(
                    "insert into app.external_ranking_data (user_id, deposit_amount, updated_at) "
                    "values (:user_id, 10, :updated_at)"
                ),
                {"user_id": user_id, "updated_at": t1},
            )
        assert snapshots(engine, user_id) == [(Decimal("10.00"), t1)]
    finally:
        with engine.begin() as connection:
            connection.execute(text(f"drop owned by {role}"))
            connection.execute(text(f"drop role {role}"))


def test_statement_writing_many_users_keeps_a_snapshot_each(engine: Engine) -> None:
    first, second = fresh_user_id(), fresh_user_id()
    t1 = ago(hours=3)
    upsert_current(engine, first, 100, t1)
    upsert_current(engine, second, 200, t1)
    t2 = ago(hours=1)
    write_current(
        engine,
        "update app.external_ranking_data "
        "set deposit_amount = deposit_amount + 50, updated_at = :updated_at "
        "where user_id in (:first, :second)",
        first=first,
        second=second,
        updated_at=t2,
    )
    assert snapshots(engine, first) == [(Decimal("100.00"), t1), (Decimal("150.00"), t2)]
    assert snapshots(engine, second) == [(Decimal("200.00"), t1), (Decimal("250.00"), t2)]


async def test_api_after_a_foreign_write_keeps_its_statuses_and_one_snapshot(
    client: httpx.AsyncClient, admin_headers: dict[str, str], engine: Engine
) -> None:
    user_id = fresh_user_id()
    path = f"/admin/api/external-ranking/{user_id}"
    # t2 is ahead of the clock by less than the API tolerates: stored as sent, not clamped
    t0, t1, t2 = ago(hours=5), ago(hours=3), ago(minutes=-4)
    upsert_current(engine, user_id, 1000, t1)

    resend = await client.put(
        path, json={"deposit_amount": 1000, "updated_at": iso(t1)}, headers=admin_headers
    )
    assert resend.status_code == 200, resend.text
    assert resend.json()["status"] == "unchanged"
    older = await client.put(
        path, json={"deposit_amount": 300, "updated_at": iso(t0)}, headers=admin_headers
    )
    assert older.json()["status"] == "stale"
    newer = await client.put(
        path, json={"deposit_amount": 2500, "updated_at": iso(t2)}, headers=admin_headers
    )
    assert newer.json()["status"] == "updated"

    assert snapshots(engine, user_id) == [
        (Decimal("300.00"), t0),
        (Decimal("1000.00"), t1),
        (Decimal("2500.00"), t2),
    ]
    assert current_deposit(engine, user_id) == (Decimal("2500.00"), t2)


def test_stamped_time_is_after_the_stored_one_even_when_that_is_ahead(engine: Engine) -> None:
    """A stored updated_at ahead of the transaction (within the tolerated skew): the stamp
    still follows it, so the change is the user's newest snapshot."""
    user_id = fresh_user_id()
    add_user(engine, user_id, ago(days=30))
    ahead = ago(minutes=-4)
    upsert_current(engine, user_id, 100, ahead)
    write_current(
        engine,
        "update app.external_ranking_data set deposit_amount = 60 where user_id = :user_id",
        user_id=user_id,
    )
    [(first_amount, first_at), (second_amount, second_at)] = snapshots(engine, user_id)
    assert (first_amount, first_at) == (Decimal("100.00"), ahead)
    assert second_amount == Decimal("60.00")
    assert second_at == ahead + timedelta(microseconds=1)
