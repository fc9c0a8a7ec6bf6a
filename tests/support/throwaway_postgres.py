"""A PostgreSQL server owned by one test or soak run, which it may stop and restart.

Fault tests must never stop the shared server other tests run on, so they get their
own: the PostgreSQL binaries shipped in the `pgserver` package, a data directory in a
fresh temporary folder and a unix socket inside it. `pgserver` does the first start
(it also handles running as root, by running PostgreSQL as a dedicated system user);
stops and restarts go through `pg_ctl` on the same data directory, so the connection
URL stays the same across restarts.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Literal

import pgserver
from pgserver._commands import pg_ctl
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

# fast: clients are disconnected, a clean shutdown checkpoint is written;
# immediate: the postmaster quits at once and the next start runs crash recovery.
StopMode = Literal["fast", "immediate"]


class ThrowawayPostgres:
    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="pulse-pg-"))
        self.data_dir = self.root / "pgdata"
        self._server = pgserver.get_server(self.data_dir, cleanup_mode=None)
        self.running = True

    def url(self, database: str = "postgres") -> str:
        raw = make_url(self._server.get_uri(database))
        return raw.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)

    def create_database(self, name: str) -> str:
        engine = create_engine(self.url(), isolation_level="AUTOCOMMIT")
        with engine.connect() as connection:
            connection.execute(text(f'create database "{name}"'))
        engine.dispose()
        return self.url(name)

    def create_migrated_database(self, name: str) -> str:
        """A new database at the Alembic head, migrated the way production is (a subprocess)."""
        url = self.create_database(name)
        subprocess.run(
            [sys.executable, "-m", "alembic", "upgrade", "head"],
            cwd=Path(__file__).resolve().parents[2],
            env={**os.environ, "DATABASE_URL": url},
            check=True,
            capture_output=True,
        )
        return url

    def stop(self, mode: StopMode = "fast") -> None:
        pg_ctl(["-w", "-m", mode, "stop"], pgdata=self.data_dir, user=self._server.system_user)
        self.running = False

    def start(self) -> None:
        with self._server._lock:
            self._server.ensure_postgres_running()
        self.running = True

    def restart(self, mode: StopMode = "immediate") -> None:
        self.stop(mode)
        self.start()

    def destroy(self) -> None:
        if self.running:
            self.stop("immediate")
        shutil.rmtree(self.root, ignore_errors=True)


@contextmanager
def throwaway_postgres() -> Iterator[ThrowawayPostgres]:
    server = ThrowawayPostgres()
    try:
        yield server
    finally:
        server.destroy()
