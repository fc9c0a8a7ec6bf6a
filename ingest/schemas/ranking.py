"""Bodies of the deposit-feed admin endpoints (`/admin/api/external-ranking`)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ingest.schemas.instants import utc_now
from ingest.schemas.users import MAX_BULK_ROWS, Instant, UserId, duplicate_message

# app.external_ranking_data.deposit_amount is numeric(18, 2).
DepositAmount = Annotated[
    Decimal,
    Field(ge=0, max_digits=18, decimal_places=2, description="Total deposits, >= 0, 2 decimals"),
]
FeedStatus = Literal["updated", "unchanged", "stale"]


class RankingUpsert(BaseModel):
    model_config = ConfigDict(extra="forbid")

    deposit_amount: DepositAmount
    updated_at: Instant = Field(
        default_factory=utc_now,
        description="The feed's own time for this value (RFC 3339 with offset); default now",
    )


class RankingBulkRow(RankingUpsert):
    user_id: UserId


class RankingBulkUpsert(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rows: list[RankingBulkRow] = Field(min_length=1, max_length=MAX_BULK_ROWS)

    @model_validator(mode="after")
    def _consistent_resends(self) -> RankingBulkUpsert:
        # The same (user_id, updated_at) twice is a resend; two different amounts are a
        # contradiction the feed must resolve.
        amounts: dict[object, set[Decimal]] = {}
        positions: dict[object, list[int]] = {}
        for index, row in enumerate(self.rows):
            key = (row.user_id, row.updated_at.isoformat())
            amounts.setdefault(key, set()).add(row.deposit_amount)
            positions.setdefault(key, []).append(index)
        contradicting = {key: positions[key] for key, values in amounts.items() if len(values) > 1}
        message = duplicate_message("(user_id, updated_at) with different amounts", contradicting)
        if message:
            raise ValueError(message)
        return self


class RankingReceipt(BaseModel):
    user_id: int
    deposit_amount: Decimal
    updated_at: datetime
    status: FeedStatus = Field(
        description="updated: now the current row; unchanged: this (user_id, updated_at) was "
        "already stored; stale: older than the current row, kept as history only"
    )


class RankingBulkReceipt(BaseModel):
    updated: int
    unchanged: int
    stale: int
    results: list[RankingReceipt] = Field(description="One per input row, in input order")
