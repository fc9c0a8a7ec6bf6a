"""The database URL as separate connection fields, for TCP and unix-socket servers."""

from __future__ import annotations

import pytest

from bench.ingest.run import pgbench_command
from pulse.database_url import libpq_params

TCP_URL = "postgresql+psycopg://pulse:secret@db.internal:6543/pulse"
# The embedded PostgreSQL listens on a unix socket only: no host, the directory in the query.
SOCKET_URL = "postgresql+psycopg://postgres:@/pulse?host=/srv/pulse/.pulse/pgdata"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            TCP_URL,
            {
                "host": "db.internal",
                "port": "6543",
                "user": "pulse",
                "password": "secret",
                "dbname": "pulse",
            },
        ),
        (
            SOCKET_URL,
            {
                "host": "/srv/pulse/.pulse/pgdata",
                "port": "5432",
                "user": "postgres",
                "password": "",
                "dbname": "pulse",
            },
        ),
    ],
)
def test_libpq_params_for_tcp_and_socket_urls(url: str, expected: dict[str, str]) -> None:
    assert libpq_params(url) == expected


def test_pgbench_reaches_a_socket_server_through_its_directory() -> None:
    command = pgbench_command(SOCKET_URL, "script.sql", clients=2, seconds=5)
    assert command[command.index("-h") + 1] == "/srv/pulse/.pulse/pgdata"
    assert command[command.index("-p") + 1] == "5432"
    assert command[-1] == "pulse"
