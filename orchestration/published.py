"""What readers see: the identity of every published relation, to tell the truth about a run.

The publish gate (dbt_project/macros/pulse_publish.sql) swaps the candidate
`user_segment` and `segment_catalogue` into `analytics` and appends to the history and
the change feed in one transaction. Whether a failed run published anything is read
from the database, before and after, never inferred from which steps ran.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, text

PUBLISHED = (
    "analytics.user_segment",
    "analytics.segment_catalogue",
    "analytics.user_segment_changes",
    "snapshots.user_segment_history",
)

NOTHING_PUBLISHED = "nothing was published"


def published_state(connection: Connection) -> dict[str, Any]:
    """Each published relation's oid (None when missing), read from the catalog alone.

    Every publish swaps new `user_segment` and `segment_catalogue` tables in, in the one
    transaction that also appends the history and the change feed, so unchanged oids
    mean nothing was published. The catalog is read without locking the tables: a check
    never waits behind a publish that is holding them.
    """
    return {
        relation: connection.execute(
            text("select cast(to_regclass(:name) as oid)"), {"name": relation}
        ).scalar()
        for relation in PUBLISHED
    }


def publish_outcome(before: dict[str, Any], after: dict[str, Any]) -> str:
    """What a failed run did to the published relations, as checked: the end of its message."""
    changed = [relation for relation in PUBLISHED if before.get(relation) != after.get(relation)]
    if not changed:
        return f"{NOTHING_PUBLISHED} (checked: the published tables are those before the run)"
    return "published relations changed during the run: " + ", ".join(changed)
