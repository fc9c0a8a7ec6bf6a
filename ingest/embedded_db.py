"""The embedded PostgreSQL used when DATABASE_URL is unset.

A newcomer without a database server still gets a real PostgreSQL: the `pgserver`
package ships PostgreSQL binaries and runs them with the data under
`<pulse_home>/pgdata`. The server is left running when the process exits
(cleanup_mode=None) so that the API, dbt, Dagster and the scripts all share it.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import make_url

EMBEDDED_DATABASE = "pulse"


def embedded_database_url(pulse_home: Path) -> str:
    """Start (or reuse) the embedded server and return a SQLAlchemy URL to its `pulse` database."""
    import pgserver  # imported here: only the embedded path needs it

    data_dir = pulse_home / "pgdata"
    data_dir.parent.mkdir(parents=True, exist_ok=True)
    server = pgserver.get_server(data_dir, cleanup_mode=None)
    exists = server.psql(f"select 1 from pg_database where datname = '{EMBEDDED_DATABASE}';")
    if "(1 row)" not in exists:
        server.psql(f"create database {EMBEDDED_DATABASE};")
    raw = make_url(server.get_uri(EMBEDDED_DATABASE))
    return raw.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
