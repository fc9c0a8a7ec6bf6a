"""The dry run's transition report: matrix, totals and samples, from real tables."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Connection, Engine, text

from orchestration.transitions import NONE_LABEL, segment_transitions


@pytest.fixture
def connection(engine: Engine) -> Iterator[Connection]:
    with engine.connect() as connection:
        connection.execute(text("create schema transitions_test"))
        connection.execute(
            text(
                "create table transitions_test.published as select * from (values "
                "(1, 'ACTIVE'), (2, 'ACTIVE'), (3, 'VIP'), (4, 'NEW')) as t(user_id, segment)"
            )
        )
        # Users 10..24 all move ACTIVE -> DORMANT_SHORT: more than the 10 samples shown.
        connection.execute(
            text(
                "insert into transitions_test.published "
                "select n, 'ACTIVE' from generate_series(10, 24) as n"
            )
        )
        connection.execute(
            text(
                "create table transitions_test.proposed as select * from (values "
                "(1, 'ACTIVE'), (2, 'DORMANT_SHORT'), (3, 'VIP'), (5, 'NEW')) "
                "as t(user_id, segment)"
            )
        )
        connection.execute(
            text(
                "insert into transitions_test.proposed "
                "select n, 'DORMANT_SHORT' from generate_series(10, 24) as n"
            )
        )
        yield connection
        connection.rollback()


def test_transitions_count_every_pair_and_sample_at_most_ten_ids(connection: Connection) -> None:
    report = segment_transitions(
        connection, "transitions_test.published", "transitions_test.proposed", "2026-11-01"
    )
    moves = {(item.from_segment, item.to_segment): item for item in report.transitions}
    assert moves[("ACTIVE", "DORMANT_SHORT")].users == 16
    assert moves[("ACTIVE", "DORMANT_SHORT")].sample_user_ids == [2, *range(10, 19)]
    assert moves[("ACTIVE", "ACTIVE")].users == 1
    assert moves[("NEW", NONE_LABEL)].sample_user_ids == [4]  # gone from the proposal
    assert moves[(NONE_LABEL, "NEW")].sample_user_ids == [5]  # new in the proposal
    assert report.total_users == 20 and report.total_moving == 18

    rendered = report.render()
    assert "total users: 20; moving: 18" in rendered
    assert "ACTIVE -> DORMANT_SHORT: 16 (e.g. 2, 10, 11" in rendered
    active_row = next(line for line in rendered.splitlines() if line.strip().startswith("ACTIVE"))
    # Columns: (none), ACTIVE, DORMANT_SHORT, NEW, VIP.
    assert active_row.split()[1:] == ["0", "1", "16", "0", "0"]


def test_before_the_first_publish_everyone_comes_from_none(connection: Connection) -> None:
    report = segment_transitions(
        connection, "transitions_test.missing", "transitions_test.proposed", None
    )
    assert {item.from_segment for item in report.transitions} == {NONE_LABEL}
    assert report.total_moving == report.total_users == 19
