"""The short fault soak: a few thousand events while uvicorn is SIGKILLed once and the
test's own PostgreSQL is restarted once (`make soak` runs the 50,000-event version)."""

from __future__ import annotations

from pathlib import Path

from bench.faults.soak import SoakConfig, run_soak


def test_no_acknowledged_event_is_lost_or_doubled_under_kills_and_restarts(
    migrated_database: str, tmp_path: Path
) -> None:
    config = SoakConfig(events=3000, players=60, server_kills=1, postgres_restarts=1)
    result = run_soak(config, tmp_path)

    assert (result.server_kills, result.postgres_restarts) == (1, 1)
    assert result.events_sent == 3000
    # The faults reached the clients: some attempts failed and were retried.
    assert result.retries > 0
    assert result.refused_4xx == 0
    assert result.acknowledged + result.given_up == result.events_sent
    assert result.acknowledged_stored == result.acknowledged
    assert result.lost == 0
    assert result.duplicates == 0
    assert result.stored_but_never_sent == 0
    assert result.stored == result.acknowledged + result.given_up_stored
    # The pipeline's counts equal what was stored, for every player.
    assert result.user_activity_users == 60
    assert result.user_activity_mismatches == 0
