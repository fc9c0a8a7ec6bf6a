"""The platform's deposit feed: `PUT /admin/api/external-ranking/{user_id}` and `/bulk`."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy.ext.asyncio import AsyncSession

from ingest.api.common import ADMIN_ERRORS, UserIdPath
from ingest.api.deps import AdminDep, SessionDep
from ingest.ranking_feed import FeedRow, apply_feed
from ingest.schemas.ranking import (
    RankingBulkReceipt,
    RankingBulkUpsert,
    RankingReceipt,
    RankingUpsert,
)

router = APIRouter(prefix="/admin/api/external-ranking", tags=["deposit feed"])


async def _apply(session: AsyncSession, rows: list[FeedRow]) -> list[RankingReceipt]:
    async with session.begin():
        statuses = await apply_feed(await session.connection(), rows)
    return [
        RankingReceipt(
            user_id=row.user_id,
            deposit_amount=row.deposit_amount,
            updated_at=row.updated_at,
            status=status,
        )
        for row, status in zip(rows, statuses, strict=True)
    ]


@router.put(
    "/{user_id}",
    response_model=RankingReceipt,
    responses=ADMIN_ERRORS,
    summary="Record a user's deposit total: snapshot kept, current row updated if newer",
)
async def put_ranking(
    user_id: UserIdPath, body: RankingUpsert, session: SessionDep, admin: AdminDep
) -> RankingReceipt:
    row = FeedRow(user_id=user_id, deposit_amount=body.deposit_amount, updated_at=body.updated_at)
    return (await _apply(session, [row]))[0]


@router.post(
    "/bulk",
    response_model=RankingBulkReceipt,
    responses=ADMIN_ERRORS,
    summary="Record up to 5000 deposit totals in one transaction, same rules as PUT",
)
async def bulk_ranking(
    body: RankingBulkUpsert, session: SessionDep, admin: AdminDep
) -> RankingBulkReceipt:
    rows = [
        FeedRow(user_id=row.user_id, deposit_amount=row.deposit_amount, updated_at=row.updated_at)
        for row in body.rows
    ]
    results = await _apply(session, rows)
    counts = {"updated": 0, "unchanged": 0, "stale": 0}
    for result in results:
        counts[result.status] += 1
    return RankingBulkReceipt(**counts, results=results)
