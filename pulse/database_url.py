"""Resolves the one database URL every Pulse component uses."""

from __future__ import annotations

from functools import lru_cache

from sqlalchemy.engine import URL, make_url

from pulse.embedded_db import embedded_database_url
from pulse.settings import get_settings


@lru_cache
def database_url() -> str:
    """DATABASE_URL when set, else the embedded PostgreSQL (started on first use)."""
    settings = get_settings()
    if settings.database_url:
        url = make_url(settings.database_url)
        if not url.drivername.startswith("postgresql"):
            raise ValueError(
                f"DATABASE_URL must point at PostgreSQL (got driver {url.drivername!r})"
            )
        if url.drivername == "postgresql":
            url = url.set(drivername="postgresql+psycopg")
        return url.render_as_string(hide_password=False)
    return embedded_database_url(settings.pulse_home)


def libpq_params(url: str | URL | None = None) -> dict[str, str]:
    """The connection as libpq keywords (host, port, user, password, dbname).

    dbt's profile and psycopg2-based tools take separate fields, not a URL.
    A unix-socket URL (`?host=/path`) maps to host=/path.
    """
    parsed = make_url(url or database_url())
    host = parsed.host or str(parsed.query.get("host", "")) or "localhost"
    return {
        "host": host,
        "port": str(parsed.port or 5432),
        "user": parsed.username or "postgres",
        "password": parsed.password or "",
        "dbname": parsed.database or "postgres",
    }
