"""The embedded PostgreSQL keeps running for every Pulse process, until it is stopped."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from pulse.embedded_db import embedded_database_url, stop_embedded_server
from pulse.settings import PROJECT_ROOT

# What any Pulse process does first when DATABASE_URL is unset.
PRINT_EMBEDDED_URL = (
    "from pulse.settings import get_settings; from pulse.embedded_db import "
    "embedded_database_url; print(embedded_database_url(get_settings().pulse_home))"
)


def answers(url: str) -> bool:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return connection.execute(text("select 1")).scalar_one() == 1
    except OperationalError:
        return False
    finally:
        engine.dispose()


def test_the_embedded_server_stops_and_the_next_process_starts_it(tmp_path: Path) -> None:
    pulse_home = tmp_path / "pulse"
    assert not stop_embedded_server(pulse_home)  # never started: nothing to stop
    url = embedded_database_url(pulse_home)
    try:
        assert answers(url)
        assert stop_embedded_server(pulse_home)
        assert not answers(url)
        assert not stop_embedded_server(pulse_home)
        started = subprocess.run(
            [sys.executable, "-c", PRINT_EMBEDDED_URL],
            env={**os.environ, "PULSE_HOME": str(pulse_home)},
            cwd=PROJECT_ROOT,
            capture_output=True,
            text=True,
            check=True,
        )
        assert started.stdout.strip() == url
        assert answers(url)
    finally:
        stop_embedded_server(pulse_home)


def test_the_module_refuses_anything_but_stop() -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "pulse.embedded_db", "start"],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
    )
    assert completed.returncode == 1
    assert completed.stderr.strip() == "usage: python -m pulse.embedded_db stop"
