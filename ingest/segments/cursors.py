"""Opaque keyset cursors for the paginated admin endpoints.

A cursor names the last row a client has seen; the next page starts strictly
after it, so rows inserted meanwhile never shift a page. Cursors start with a
version tag, which also tells them apart from a plain timestamp in `since`.
"""

from __future__ import annotations

import base64
import binascii
from datetime import datetime

CURSOR_TAG = "c1."


class BadCursor(ValueError):
    """The cursor was not made by this API (or was altered)."""


def _encode(payload: str) -> str:
    return CURSOR_TAG + base64.urlsafe_b64encode(payload.encode()).decode().rstrip("=")


def _decode(cursor: str) -> str:
    if not cursor.startswith(CURSOR_TAG):
        raise BadCursor("cursor must be a value returned as next_cursor by this endpoint")
    body = cursor.removeprefix(CURSOR_TAG)
    try:
        return base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError) as error:
        raise BadCursor("cursor is not valid: use next_cursor from a previous page") from error


def is_cursor(value: str) -> bool:
    return value.startswith(CURSOR_TAG)


def user_cursor(user_id: int) -> str:
    return _encode(f"user:{user_id}")


def parse_user_cursor(cursor: str) -> int:
    kind, _, value = _decode(cursor).partition(":")
    if kind != "user" or not value.isdigit():
        raise BadCursor("cursor is not a user-list cursor: use next_cursor from this endpoint")
    return int(value)


def change_cursor(changed_at: datetime, change_id: str) -> str:
    return _encode(f"change:{changed_at.isoformat()}|{change_id}")


def parse_change_cursor(cursor: str) -> tuple[datetime, str]:
    kind, _, value = _decode(cursor).partition(":")
    stamp, separator, change_id = value.partition("|")
    if kind != "change" or not separator:
        raise BadCursor("cursor is not a change-feed cursor: use next_cursor from this endpoint")
    try:
        return datetime.fromisoformat(stamp), change_id
    except ValueError as error:
        raise BadCursor("cursor is not valid: use next_cursor from a previous page") from error
