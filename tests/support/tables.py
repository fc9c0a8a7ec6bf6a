"""Bringing the session database back to a known state: empty app tables, no dbt schemas."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, text

# Every schema a dbt build or a dry run creates; dropping them leaves nothing published.
DBT_SCHEMAS = ("staging", "intermediate", "analytics", "analytics_candidate", "snapshots")

APP_TABLES = (
    "app.segment_override_audit",
    "app.segment_overrides",
    "app.ranking_snapshots",
    "app.external_ranking_data",
    "app.activity_events",
    "app.users",
)


def truncate_app_tables(engine: Engine) -> None:
    """Empties the tables the service writes (ids restart at 1)."""
    with engine.begin() as connection:
        connection.execute(text(f"truncate {', '.join(APP_TABLES)} restart identity cascade"))


def drop_dbt_schemas(engine: Engine) -> None:
    """Drops what dbt built and published, dry-run schemas included."""
    with engine.begin() as connection:
        schemas = connection.scalars(
            text(
                "select nspname from pg_namespace "
                "where nspname = any(:names) or nspname like 'dryrun\\_%'"
            ),
            {"names": list(DBT_SCHEMAS)},
        ).all()
        for schema in schemas:
            connection.execute(text(f'drop schema "{schema}" cascade'))


@contextmanager
def event_type_check_dropped(engine: Engine, event_type: str) -> Iterator[None]:
    """app.activity_events without its check on event types for the block, as a broken
    ingest release could leave it; afterwards the events of `event_type` are deleted and
    the check is back as it was."""
    with engine.begin() as connection:
        name, definition = connection.execute(
            text(
                "select conname, pg_get_constraintdef(oid) from pg_constraint "
                "where conrelid = 'app.activity_events'::regclass and conname like '%event_type'"
            )
        ).one()
        connection.execute(text(f'alter table app.activity_events drop constraint "{name}"'))
    try:
        yield
    finally:
        with engine.begin() as connection:
            connection.execute(
                text("delete from app.activity_events where event_type = :type"),
                {"type": event_type},
            )
            connection.execute(
                text(f'alter table app.activity_events add constraint "{name}" {definition}')
            )
