"""Users mirror and deposit feed upserts (`/admin/api/users*`, `/admin/api/external-ranking*`)."""

from __future__ import annotations

from decimal import Decimal

import httpx
import pytest
from sqlalchemy import Engine, text

from tests.support.deposits import current_deposit, snapshots
from tests.support.players import ago, fresh_user_id, iso

pytestmark = pytest.mark.anyio


def user_row(engine: Engine, user_id: int) -> dict[str, object] | None:
    with engine.connect() as connection:
        row = connection.execute(
            text("select created_at, last_login_at from app.users where id = :id"),
            {"id": user_id},
        ).first()
    return dict(row._mapping) if row else None


async def test_put_user_creates_then_updates(
    client: httpx.AsyncClient, admin_headers, engine: Engine
) -> None:
    user_id = fresh_user_id()
    created_at, login = ago(days=100), ago(days=1)
    first = await client.put(
        f"/admin/api/users/{user_id}",
        json={"created_at": iso(created_at), "last_login_at": None},
        headers=admin_headers,
    )
    assert first.status_code == 201, first.text
    assert first.json()["status"] == "created"
    second = await client.put(
        f"/admin/api/users/{user_id}",
        json={"created_at": iso(created_at), "last_login_at": iso(login)},
        headers=admin_headers,
    )
    assert second.status_code == 200
    assert second.json()["status"] == "updated"
    assert user_row(engine, user_id) == {"created_at": created_at, "last_login_at": login}


async def test_user_upsert_corrects_a_user_created_by_an_event(
    client: httpx.AsyncClient, admin_headers, user_headers, engine: Engine
) -> None:
    user_id = fresh_user_id()
    await client.post(
        "/api/activity/record", json={"event_type": "login"}, headers=user_headers(user_id)
    )
    signed_up = ago(days=400)
    response = await client.put(
        f"/admin/api/users/{user_id}",
        json={"created_at": iso(signed_up)},
        headers=admin_headers,
    )
    assert response.status_code == 200
    assert user_row(engine, user_id) == {"created_at": signed_up, "last_login_at": None}


async def test_bulk_users_upserts_set_wise(
    client: httpx.AsyncClient, admin_headers, engine: Engine
) -> None:
    existing, new_one = fresh_user_id(), fresh_user_id()
    await client.put(
        f"/admin/api/users/{existing}",
        json={"created_at": iso(ago(days=9))},
        headers=admin_headers,
    )
    response = await client.post(
        "/admin/api/users/bulk",
        json={
            "users": [
                {"user_id": existing, "created_at": iso(ago(days=10)), "last_login_at": None},
                {"user_id": new_one, "created_at": iso(ago(days=2))},
            ]
        },
        headers=admin_headers,
    )
    assert response.status_code == 200, response.text
    assert response.json() == {"created": 1, "updated": 1}
    assert user_row(engine, new_one) is not None


async def test_bulk_users_refuses_repeated_ids_and_writes_nothing(
    client: httpx.AsyncClient, admin_headers, engine: Engine
) -> None:
    user_id = fresh_user_id()
    row = {"user_id": user_id, "created_at": iso(ago(days=1))}
    response = await client.post(
        "/admin/api/users/bulk", json={"users": [row, row]}, headers=admin_headers
    )
    assert response.status_code == 422
    assert "at indexes [0, 1]" in response.json()["message"]
    assert user_row(engine, user_id) is None


@pytest.mark.parametrize(
    "method, path, body",
    [
        ("PUT", "/admin/api/users/5", {"created_at": "2025-01-01T00:00:00Z"}),
        ("POST", "/admin/api/users/bulk", {"users": []}),
        ("PUT", "/admin/api/external-ranking/5", {"deposit_amount": 1}),
        ("POST", "/admin/api/external-ranking/bulk", {"rows": []}),
    ],
)
async def test_admin_feeds_need_the_admin_role(
    client: httpx.AsyncClient, user_headers, method: str, path: str, body: dict[str, object]
) -> None:
    player = await client.request(method, path, json=body, headers=user_headers(5))
    anonymous = await client.request(method, path, json=body)
    assert player.status_code == 403
    assert anonymous.status_code == 401


async def test_ranking_updated_unchanged_stale(
    client: httpx.AsyncClient, admin_headers, engine: Engine
) -> None:
    user_id = fresh_user_id()
    path = f"/admin/api/external-ranking/{user_id}"
    t1, t0 = ago(hours=1), ago(hours=5)

    first = await client.put(
        path, json={"deposit_amount": 5000, "updated_at": iso(t1)}, headers=admin_headers
    )
    assert first.status_code == 200, first.text
    assert first.json()["status"] == "updated"

    resend = await client.put(
        path, json={"deposit_amount": 5000, "updated_at": iso(t1)}, headers=admin_headers
    )
    assert resend.json()["status"] == "unchanged"

    older = await client.put(
        path, json={"deposit_amount": 1200.5, "updated_at": iso(t0)}, headers=admin_headers
    )
    assert older.json()["status"] == "stale"

    assert snapshots(engine, user_id) == [(Decimal("1200.50"), t0), (Decimal("5000.00"), t1)]
    assert current_deposit(engine, user_id) == (Decimal("5000.00"), t1)


async def test_ranking_default_time_is_now_and_unknown_user_is_created(
    client: httpx.AsyncClient, admin_headers, engine: Engine
) -> None:
    user_id = fresh_user_id()
    response = await client.put(
        f"/admin/api/external-ranking/{user_id}",
        json={"deposit_amount": "10.25"},
        headers=admin_headers,
    )
    assert response.status_code == 200
    assert response.json()["status"] == "updated"
    assert user_row(engine, user_id) is not None
    [(amount, _)] = snapshots(engine, user_id)
    assert amount == Decimal("10.25")


async def test_ranking_bulk_applies_the_same_rules_per_row(
    client: httpx.AsyncClient, admin_headers, engine: Engine
) -> None:
    a, b = fresh_user_id(), fresh_user_id()
    t_old, t_mid, t_new = ago(days=3), ago(days=2), ago(days=1)
    await client.put(
        f"/admin/api/external-ranking/{a}",
        json={"deposit_amount": 100, "updated_at": iso(t_mid)},
        headers=admin_headers,
    )
    rows = [
        {"user_id": a, "deposit_amount": 100, "updated_at": iso(t_mid)},  # resend
        {"user_id": a, "deposit_amount": 50, "updated_at": iso(t_old)},  # older
        {"user_id": b, "deposit_amount": 10, "updated_at": iso(t_old)},  # superseded below
        {"user_id": b, "deposit_amount": 30, "updated_at": iso(t_new)},
    ]
    response = await client.post(
        "/admin/api/external-ranking/bulk", json={"rows": rows}, headers=admin_headers
    )
    assert response.status_code == 200, response.text
    receipt = response.json()
    assert [result["status"] for result in receipt["results"]] == [
        "unchanged",
        "stale",
        "stale",
        "updated",
    ]
    assert (receipt["updated"], receipt["unchanged"], receipt["stale"]) == (1, 1, 2)
    assert len(snapshots(engine, a)) == 2
    assert len(snapshots(engine, b)) == 2
    assert current_deposit(engine, a) == (Decimal("100.00"), t_mid)
    assert current_deposit(engine, b) == (Decimal("30.00"), t_new)


@pytest.mark.parametrize(
    "body, field",
    [
        ({"deposit_amount": -1}, "deposit_amount"),
        ({"deposit_amount": "1.234"}, "deposit_amount"),
        ({"deposit_amount": 1, "updated_at": "2020-01-01T00:00:00"}, "updated_at"),
        ({}, "deposit_amount"),
    ],
)
async def test_invalid_ranking_is_422(
    client: httpx.AsyncClient, admin_headers, engine: Engine, body: dict[str, object], field: str
) -> None:
    user_id = fresh_user_id()
    response = await client.put(
        f"/admin/api/external-ranking/{user_id}", json=body, headers=admin_headers
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["field"] == field
    assert snapshots(engine, user_id) == []
