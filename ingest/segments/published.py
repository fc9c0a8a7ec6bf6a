"""Names of the relations dbt publishes, and the error raised before the first publication.

The admin API only reads these relations; dbt owns their DDL. Before the first
pipeline run they do not exist, which the API reports as 503 with a hint instead
of a server error.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import psycopg.errors
from fastapi import HTTPException, status
from sqlalchemy.exc import DBAPIError

USER_SEGMENT = "analytics.user_segment"
SEGMENT_CATALOGUE = "analytics.segment_catalogue"
USER_SEGMENT_CHANGES = "analytics.user_segment_changes"
USER_SEGMENT_HISTORY = "snapshots.user_segment_history"

NOT_PUBLISHED_MESSAGE = (
    "segments have not been published yet: run the segment pipeline "
    "(`python scripts/segment_users.py`) and try again"
)


def is_missing_relation(error: BaseException) -> bool:
    original = error.orig if isinstance(error, DBAPIError) else error
    return isinstance(original, psycopg.errors.UndefinedTable)


def not_published_http_error() -> HTTPException:
    return HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, detail=NOT_PUBLISHED_MESSAGE)


@contextmanager
def reading_published() -> Iterator[None]:
    """Turns "relation does not exist" from a published relation into a 503."""
    try:
        yield
    except (DBAPIError, psycopg.errors.UndefinedTable) as error:
        if is_missing_relation(error):
            raise not_published_http_error() from error
        raise
