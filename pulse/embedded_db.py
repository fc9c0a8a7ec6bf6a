"""The embedded PostgreSQL used when DATABASE_URL is unset.

A newcomer without a database server still gets a real PostgreSQL: the `pgserver`
package ships PostgreSQL binaries and runs them with the data under
`<pulse_home>/pgdata`. The server is left running when the process exits
(cleanup_mode=None) so that the API, dbt, Dagster and the scripts all share it;
`python -m pulse.embedded_db stop` stops it (the next use starts it again).
"""

from __future__ import annotations

import os
import sys
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


def stop_embedded_server(pulse_home: Path) -> bool:
    """Stop the embedded server whose data is under `pulse_home`; False if it was not running."""
    from subprocess import CalledProcessError

    from pgserver._commands import pg_ctl  # type: ignore[attr-defined]  # made at import

    data_dir = pulse_home / "pgdata"
    if not (data_dir / "PG_VERSION").exists():
        return False
    # As root, pgserver runs PostgreSQL as the data directory's owner; pg_ctl must too.
    user = data_dir.owner() if os.geteuid() == 0 else None
    try:
        pg_ctl(["status"], pgdata=data_dir, user=user)
    except CalledProcessError:
        return False  # no server runs on this data directory
    pg_ctl(["-w", "-m", "fast", "stop"], pgdata=data_dir, user=user)
    return True


if __name__ == "__main__":
    if sys.argv[1:] != ["stop"]:
        raise SystemExit("usage: python -m pulse.embedded_db stop")
    from pulse.settings import get_settings

    home = get_settings().pulse_home
    stopped = stop_embedded_server(home)
    print(f"embedded PostgreSQL under {home}: {'stopped' if stopped else 'not running'}")
