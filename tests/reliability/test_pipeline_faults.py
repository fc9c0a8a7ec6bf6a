"""The segment refresh under faults, through `scripts/segment_users.py` in real processes:
a run killed while it publishes `user_segment` leaves the published segments as they were."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, text

from pulse.settings import PROJECT_ROOT
from tests.support.published import published_segments
from tests.support.waiting import wait_until

SCRIPT = PROJECT_ROOT / "scripts" / "segment_users.py"


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Engine, dict[str, str]]]:
    """A database of its own with demo players and one completed refresh."""
    from tests.support.databases import create_database, drop_database

    base = os.environ["PULSE_SERVER_URL"]
    name = f"pulse_test_pipeline_{os.getpid()}"
    url = create_database(base, name)
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "DAGSTER_HOME": str(tmp_path_factory.mktemp("dagster")),
    }
    try:
        for command in (
            [sys.executable, "-m", "alembic", "upgrade", "head"],
            [sys.executable, "scripts/generate_demo_data.py", "--users", "200"],
            [sys.executable, str(SCRIPT), "--full-refresh"],
        ):
            subprocess.run(command, cwd=PROJECT_ROOT, env=env, check=True, capture_output=True)
        engine = create_engine(url)
        yield engine, env
        engine.dispose()
    finally:
        drop_database(base, name)


def _refresh(env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, str(SCRIPT)],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,  # its own process group: dbt's subprocess dies with it
    )


# The publish gate's one transaction (dbt_project/macros/pulse_publish.sql), which ends
# by swapping the candidate catalogue into analytics.
PUBLISH_STATEMENT = "%pulse publish gate%"


def _hold_publication(engine: Engine) -> Any:
    """A reader's transaction on the published segments and their catalogue, whose swap
    the publish gate does last and waits behind here, so a run stops inside its publishing
    transaction, with the rows, the history and the change feed written but uncommitted."""
    reader = engine.connect()
    transaction = reader.begin()
    reader.execute(text("select count(*) from analytics.user_segment"))
    reader.execute(text("select count(*) from analytics.segment_catalogue"))
    return reader, transaction


def _backends_running(engine: Engine, database: str, *, waiting_on_lock: bool) -> int:
    """How many backends of `database` run (or, with waiting_on_lock, wait to run) the
    publication of user_segment."""
    query = text(
        "select count(*) from pg_stat_activity where datname = :db and query ilike :statement "
        "and pid <> pg_backend_pid()" + (" and wait_event_type = 'Lock'" if waiting_on_lock else "")
    )
    with engine.connect() as connection:
        return int(connection.scalar(query, {"db": database, "statement": PUBLISH_STATEMENT}))


def test_a_run_killed_while_publishing_leaves_the_table_as_it_was(
    published: tuple[Engine, dict[str, str]],
) -> None:
    engine, env = published
    before = published_segments(engine)
    assert before
    # The kill lands mid-publication: the run waits on the reader's lock.
    reader, transaction = _hold_publication(engine)
    run = _refresh(env)
    try:
        database = engine.url.database or ""
        wait_until(
            lambda: _backends_running(engine, database, waiting_on_lock=True),
            240,
            "the refresh reaching the publication of user_segment",
        )
        os.killpg(run.pid, signal.SIGKILL)
        run.wait(timeout=30)
        # The reader still sees the whole old table.
        assert reader.execute(text("select count(*) from analytics.user_segment")).scalar() == len(
            before
        )
    finally:
        transaction.commit()
        reader.close()
    # The orphaned backend rolls back and exits once it finds its client gone.
    wait_until(
        lambda: _backends_running(engine, database, waiting_on_lock=False) == 0,
        60,
        "the killed run's backend ending",
    )
    assert published_segments(engine) == before

    completed = subprocess.run(
        [sys.executable, str(SCRIPT)], cwd=PROJECT_ROOT, env=env, capture_output=True, timeout=600
    )
    assert completed.returncode == 0, completed.stderr.decode()[-2000:]
    after = published_segments(engine)
    assert {row[0] for row in after} == {row[0] for row in before}
    assert all(row[3] > before[0][3] for row in after)


def test_a_second_refresh_while_one_runs_is_refused_and_the_result_equals_one_run(
    published: tuple[Engine, dict[str, str]],
) -> None:
    engine, env = published
    before = published_segments(engine)
    # Hold the publication so the first refresh is certainly still running (waiting to
    # publish) when the second one starts.
    reader, transaction = _hold_publication(engine)
    first = _refresh(env)
    try:
        database = engine.url.database or ""
        wait_until(
            lambda: _backends_running(engine, database, waiting_on_lock=True),
            240,
            "the refresh reaching the publication of user_segment",
        )
        second = subprocess.run(
            [sys.executable, str(SCRIPT)],
            cwd=PROJECT_ROOT,
            env=env,
            capture_output=True,
            timeout=600,
        )
        assert second.returncode != 0
        reason = second.stderr.decode()
        assert "another segment refresh is running" in reason, reason[-2000:]
        assert "nothing was published" in reason
    finally:
        transaction.commit()
        reader.close()
    _, first_errors = first.communicate(timeout=600)
    assert first.returncode == 0, first_errors.decode()[-2000:]

    after = published_segments(engine)
    assert {row[0] for row in after} == {row[0] for row in before}
    computed = {row[3] for row in after}
    assert len(computed) == 1  # every row from the one run that published
    assert computed.pop() > before[0][3]
