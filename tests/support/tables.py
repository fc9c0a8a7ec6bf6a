"""Bringing the session database back to a known state: empty app tables, no dbt schemas."""

from __future__ import annotations

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
