"""Bodies of the users-mirror admin endpoints."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from ingest.schemas.instants import checked_instant

# app.users.id is a PostgreSQL integer.
MAX_USER_ID = 2**31 - 1
MAX_BULK_ROWS = 5000

UserId = Annotated[int, Field(ge=1, le=MAX_USER_ID, description="The platform's user id")]
Instant = Annotated[AwareDatetime, AfterValidator(checked_instant)]


class UserUpsert(BaseModel):
    model_config = ConfigDict(extra="forbid")

    created_at: Instant = Field(description="When the user signed up (RFC 3339 with offset)")
    last_login_at: Instant | None = None


class UserBulkRow(UserUpsert):
    user_id: UserId


def duplicate_message(key_name: str, positions: dict[object, list[int]]) -> str | None:
    repeated = {key: indexes for key, indexes in positions.items() if len(indexes) > 1}
    if not repeated:
        return None
    listed = "; ".join(
        f"{key} at indexes {indexes}" for key, indexes in list(repeated.items())[:10]
    )
    return f"each {key_name} may appear once per request: {listed}"


class UserBulkUpsert(BaseModel):
    model_config = ConfigDict(extra="forbid")

    users: list[UserBulkRow] = Field(min_length=1, max_length=MAX_BULK_ROWS)

    @model_validator(mode="after")
    def _unique_user_ids(self) -> UserBulkUpsert:
        positions: dict[object, list[int]] = {}
        for index, row in enumerate(self.users):
            positions.setdefault(row.user_id, []).append(index)
        message = duplicate_message("user_id", positions)
        if message:
            raise ValueError(message)
        return self


class UserPublic(BaseModel):
    user_id: int
    created_at: datetime
    last_login_at: datetime | None
    updated_at: datetime
    status: Literal["created", "updated"]


class UserBulkReceipt(BaseModel):
    created: int
    updated: int
