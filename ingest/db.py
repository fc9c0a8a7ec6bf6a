"""Engines, the request path's session factory and the declarative Base for the tables
the service writes.

The API serves requests through the async engine; the readiness probe uses the
synchronous one.
"""

from __future__ import annotations

from functools import lru_cache

from sqlalchemy import Engine, MetaData, create_engine
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase

from pulse.database_url import database_url

# All tables the service writes live in this schema; dbt builds into schemas of its own.
APP_SCHEMA = "app"

# Stable constraint names, so migrations and autogenerate agree.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(schema=APP_SCHEMA, naming_convention=NAMING_CONVENTION)


@lru_cache
def get_engine() -> Engine:
    return create_engine(database_url(), pool_pre_ping=True, pool_size=10, max_overflow=10)


@lru_cache
def get_async_engine() -> AsyncEngine:
    """The engine of the request path (psycopg 3 in async mode).

    The app's lifespan disposes it on shutdown; a disposed engine opens a fresh pool on
    next use, so each event loop (one per test) gets connections of its own.
    """
    return create_async_engine(database_url(), pool_size=20, max_overflow=10)


@lru_cache
def get_async_session_factory() -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(bind=get_async_engine(), expire_on_commit=False)
