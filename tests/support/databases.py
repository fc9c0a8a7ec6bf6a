"""Creating and dropping throwaway PostgreSQL databases for tests."""

from __future__ import annotations

import os

from alembic.config import Config
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from pulse.embedded_db import embedded_database_url
from pulse.settings import PROJECT_ROOT, PulseSettings


def server_url() -> str:
    """The server tests run on: DATABASE_URL if set, else the embedded PostgreSQL."""
    configured = os.environ.get("DATABASE_URL")
    if configured:
        url = make_url(configured)
        if url.drivername == "postgresql":
            url = url.set(drivername="postgresql+psycopg")
        return url.render_as_string(hide_password=False)
    return embedded_database_url(PulseSettings().pulse_home)


def _admin_engine(base: str):
    # Connect to the maintenance database: CREATE/DROP DATABASE cannot run in a transaction.
    return create_engine(make_url(base).set(database="postgres"), isolation_level="AUTOCOMMIT")


def create_database(base: str, name: str) -> str:
    engine = _admin_engine(base)
    with engine.connect() as connection:
        connection.execute(text(f'create database "{name}"'))
    engine.dispose()
    return make_url(base).set(database=name).render_as_string(hide_password=False)


def drop_database(base: str, name: str) -> None:
    engine = _admin_engine(base)
    with engine.connect() as connection:
        connection.execute(text(f'drop database if exists "{name}" with (force)'))
    engine.dispose()


def alembic_config() -> Config:
    return Config(toml_file=str(PROJECT_ROOT / "pyproject.toml"))
