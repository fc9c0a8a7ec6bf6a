"""Alembic environment: metadata from the ingest models, URL from Pulse's settings."""

from __future__ import annotations

from sqlalchemy import Connection, Engine, create_engine, pool, text

from alembic import context
from ingest import models  # noqa: F401  (registers the tables on Base.metadata)
from ingest.db import APP_SCHEMA, Base
from pulse.database_url import database_url

config = context.config
target_metadata = Base.metadata


def include_name(name: str | None, type_: str, parent_names: object) -> bool:
    # Only the service's own schema: dbt's schemas are not Alembic's business.
    if type_ == "schema":
        return name == APP_SCHEMA
    return True


def _configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        include_schemas=True,
        include_name=include_name,
        compare_type=True,
        version_table_schema="public",
    )


def run_migrations_offline() -> None:
    context.configure(
        url=database_url(),
        target_metadata=target_metadata,
        literal_binds=True,
        include_schemas=True,
        include_name=include_name,
        version_table_schema="public",
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    # pytest-alembic hands over an Engine in attributes["connection"].
    given = config.attributes.get("connection")
    if isinstance(given, Connection):
        _configure(given)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine: Engine = (
        given
        if isinstance(given, Engine)
        else create_engine(database_url(), poolclass=pool.NullPool)
    )
    with engine.connect() as connection:
        # Serialise concurrent `alembic upgrade` runs (several workers starting at once).
        connection.execute(text("select pg_advisory_xact_lock(7243501)"))
        _configure(connection)
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
