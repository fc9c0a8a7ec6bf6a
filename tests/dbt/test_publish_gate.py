"""The publish gate seen by a reader: the published relations move together.

A reader samples all four published relations in one statement (one snapshot) for as
long as a build that moves a player runs. Every sample is the old state or the new one,
never a mix, and no read fails while the gate swaps the tables.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, text

from tests.support.dbt import RunDbt
from tests.support.dbt_data import add_event, add_user

# What each publish moves, read in one statement: one snapshot of the four relations.
SAMPLE = text(
    """
    select
        (select max(computed_at) from analytics.user_segment) as segments_at,
        (select max(computed_at) from analytics.segment_catalogue) as catalogue_at,
        (select max(changed_at) from analytics.user_segment_changes) as changes_at,
        (select max(dbt_valid_from) from snapshots.user_segment_history) as history_at
    """
)


class Reader(threading.Thread):
    def __init__(self, engine: Engine) -> None:
        super().__init__(daemon=True)
        self.engine = engine
        self.stop = threading.Event()
        self.samples: list[tuple[Any, ...]] = []
        self.errors: list[BaseException] = []

    def run(self) -> None:
        try:
            with self.engine.connect() as connection:
                while not self.stop.is_set():
                    self.samples.append(tuple(connection.execute(SAMPLE).one()))
                    connection.rollback()
        except BaseException as error:  # reported by the test, not lost in the thread
            self.errors.append(error)


def test_readers_see_the_old_or_the_new_publish_never_a_mix(
    engine: Engine, run_dbt: RunDbt
) -> None:
    first_as_of = datetime.now(UTC) - timedelta(days=20)
    add_user(engine, 1, first_as_of - timedelta(days=1))  # NEW, then idle: DORMANT_SHORT
    add_user(engine, 2, first_as_of - timedelta(days=100))
    add_event(engine, 2, "dice_play", first_as_of - timedelta(hours=1))
    run_dbt("build", as_of=first_as_of)
    with engine.connect() as connection:
        old = tuple(connection.execute(SAMPLE).one())
    assert len(set(old)) == 1

    reader = Reader(engine)
    reader.start()
    try:
        run_dbt("build", as_of=first_as_of + timedelta(days=10))
        # one more sample after the publish, so the new state is seen at least once
        with engine.connect() as connection:
            new = tuple(connection.execute(SAMPLE).one())
    finally:
        reader.stop.set()
        reader.join()

    assert not reader.errors, reader.errors[0]
    assert len(set(new)) == 1 and new != old
    assert reader.samples
    assert set(reader.samples) <= {old, new}
