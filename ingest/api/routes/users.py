"""The platform pushes its users here: `PUT /admin/api/users/{user_id}` and `/bulk`."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from ingest.api.common import ADMIN_ERRORS, UserIdPath
from ingest.api.deps import AdminDep, SessionDep
from ingest.schemas.users import (
    UserBulkReceipt,
    UserBulkUpsert,
    UserPublic,
    UserUpsert,
)
from ingest.users_mirror import UserRow, upsert_users

router = APIRouter(prefix="/admin/api/users", tags=["users"])


@router.put(
    "/{user_id}",
    response_model=UserPublic,
    responses={201: {"model": UserPublic, "description": "Created"}, **ADMIN_ERRORS},
    summary="Create or overwrite one user of the mirror (201 created, 200 updated)",
)
async def put_user(
    user_id: UserIdPath,
    body: UserUpsert,
    session: SessionDep,
    admin: AdminDep,
    response: Response,
) -> UserPublic:
    row = UserRow(user_id=user_id, created_at=body.created_at, last_login_at=body.last_login_at)
    async with session.begin():
        upserted = (await upsert_users(await session.connection(), [row]))[user_id]
    response.status_code = status.HTTP_201_CREATED if upserted.created else status.HTTP_200_OK
    return UserPublic(
        user_id=user_id,
        created_at=row.created_at,
        last_login_at=row.last_login_at,
        updated_at=upserted.updated_at,
        status="created" if upserted.created else "updated",
    )


@router.post(
    "/bulk",
    response_model=UserBulkReceipt,
    responses=ADMIN_ERRORS,
    summary="Create or overwrite up to 5000 users in one transaction",
)
async def bulk_users(body: UserBulkUpsert, session: SessionDep, admin: AdminDep) -> UserBulkReceipt:
    rows = [
        UserRow(user_id=user.user_id, created_at=user.created_at, last_login_at=user.last_login_at)
        for user in body.users
    ]
    async with session.begin():
        upserted = await upsert_users(await session.connection(), rows)
    created = sum(1 for user in upserted.values() if user.created)
    return UserBulkReceipt(created=created, updated=len(upserted) - created)
