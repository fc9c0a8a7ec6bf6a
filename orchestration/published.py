"""What readers see: the identity of every published relation, to tell the truth about a run.

The publish gate (dbt_project/macros/pulse_publish.sql) swaps the candidate
`user_segment` and `segment_catalogue` into `analytics` and appends to the history and
the change feed in one transaction. Whether a failed run published anything is read
from the database, before and after, never inferred from which steps ran.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, text

PUBLISHED_SCHEMA = "analytics"
HISTORY_SCHEMA = "snapshots"
CANDIDATE_SCHEMA = "analytics_candidate"

# relation -> a query of what each publish moves (one indexed value each: no scans)
PUBLISHED = {
    f"{PUBLISHED_SCHEMA}.user_segment": "select computed_at from {relation} limit 1",
    f"{PUBLISHED_SCHEMA}.segment_catalogue": "select computed_at from {relation} limit 1",
    f"{PUBLISHED_SCHEMA}.user_segment_changes": "select max(changed_at) from {relation}",
    f"{HISTORY_SCHEMA}.user_segment_history": "select max(dbt_valid_from) from {relation}",
}

NOTHING_PUBLISHED = "nothing was published"


def published_state(connection: Connection) -> dict[str, tuple[Any, Any]]:
    """Each published relation's (oid, latest run moment); (None, None) when missing.

    The oid changes when the gate swaps a table in; the moment when it appends.
    """
    state: dict[str, tuple[Any, Any]] = {}
    for relation, query in PUBLISHED.items():
        oid = connection.execute(
            text("select cast(to_regclass(:name) as oid)"), {"name": relation}
        ).scalar()
        latest = (
            connection.execute(text(query.format(relation=relation))).scalar()
            if oid is not None
            else None
        )
        state[relation] = (oid, latest)
    return state


def publish_outcome(before: dict[str, tuple[Any, Any]], after: dict[str, tuple[Any, Any]]) -> str:
    """What a failed run did to the published relations, as checked: the end of its message."""
    changed = [relation for relation in PUBLISHED if before.get(relation) != after.get(relation)]
    if not changed:
        return f"{NOTHING_PUBLISHED} (checked: {', '.join(PUBLISHED)} as before)"
    return "published relations changed during the run: " + ", ".join(changed)
