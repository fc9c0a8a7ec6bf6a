"""What readers see: the identity of every published relation, to tell the truth about a run.

The publish gate (dbt_project/macros/pulse_publish.sql) writes the run's updates into
the published rows, replaces the publication (the published run's as_of and computed_at)
and swaps the candidate `segment_catalogue` into `analytics`, and appends to the
history and the change feed, in one transaction. Whether a failed run published
anything is read from the database, before and after, never inferred from which steps
ran.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, text

PUBLISHED = (
    "analytics.user_segment",
    "analytics.user_segment_members",
    "analytics.segment_catalogue",
    "analytics.user_segment_changes",
    "snapshots.user_segment_history",
)
PUBLICATION = "analytics.segment_publication"

NOTHING_PUBLISHED = "nothing was published"


def published_state(connection: Connection) -> dict[str, Any]:
    """Each published relation's oid (None when missing), and the publication's row.

    Every publish swaps a new `segment_catalogue` table in and replaces the publication's
    one row (the run's computed_at and the publish's time), in the one transaction that
    also writes the rows, the history and the change feed, so an unchanged state means
    nothing was published. Neither read waits behind a publish in progress: the oids
    come from the catalog, and the publication's row is read as committed.
    """
    state: dict[str, Any] = {
        relation: connection.execute(
            text("select cast(to_regclass(:name) as oid)"), {"name": relation}
        ).scalar()
        for relation in PUBLISHED
    }
    publication = connection.execute(
        text("select cast(to_regclass(:name) as oid)"), {"name": PUBLICATION}
    ).scalar()
    state[PUBLICATION] = (
        None
        if publication is None
        else tuple(
            connection.execute(text(f"select computed_at, published_at from {PUBLICATION}")).all()
        )
    )
    return state


def publish_outcome(before: dict[str, Any], after: dict[str, Any]) -> str:
    """What a failed run did to the published relations, as checked: the end of its message."""
    changed = [relation for relation in after if before.get(relation) != after.get(relation)]
    if not changed:
        return f"{NOTHING_PUBLISHED} (checked: the published tables are those before the run)"
    return "published relations changed during the run: " + ", ".join(changed)
