"""Reading everything the publish gate publishes, to compare before and after a run."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, text

# What readers read: the publish gate moves them together or not at all.
PUBLISHED_RELATIONS = (
    "analytics.user_segment",
    "analytics.segment_publication",
    "analytics.segment_catalogue",
    "analytics.user_segment_changes",
    "snapshots.user_segment_history",
)


def published_snapshot(
    engine: Engine, relations: tuple[str, ...] = PUBLISHED_RELATIONS
) -> dict[str, tuple[Any, list[tuple[Any, ...]]]]:
    """Each published relation's identity (its oid: a swap or a new view changes it) and rows."""
    state: dict[str, tuple[Any, list[tuple[Any, ...]]]] = {}
    with engine.connect() as connection:
        for relation in relations:
            oid = connection.scalar(
                text("select cast(to_regclass(:name) as oid)"), {"name": relation}
            )
            rows = (
                sorted(
                    (tuple(row) for row in connection.execute(text(f"select * from {relation}"))),
                    key=repr,
                )
                if oid is not None
                else []
            )
            state[relation] = (oid, rows)
    return state


def published_segments(engine: Engine) -> list[tuple[Any, ...]]:
    """(user_id, segment, rule, computed_at) of every published player, by user id: what
    a run that publishes nothing must leave as it was."""
    with engine.connect() as connection:
        return [
            tuple(row)
            for row in connection.execute(
                text(
                    "select user_id, segment, rule, computed_at from analytics.user_segment "
                    "order by user_id"
                )
            )
        ]
