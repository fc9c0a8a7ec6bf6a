"""Authorization headers for tests, signed with the test session's JWT_SECRET."""

from __future__ import annotations

from ingest.tokens import make_token

ADMIN_USER_ID = 1


def user_headers(user_id: int, ttl_seconds: int = 3600) -> dict[str, str]:
    return {"Authorization": f"Bearer {make_token(user_id, ttl_seconds=ttl_seconds)}"}


def admin_headers(user_id: int = ADMIN_USER_ID) -> dict[str, str]:
    return {"Authorization": f"Bearer {make_token(user_id, admin=True)}"}
