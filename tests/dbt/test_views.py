"""Views are replaced only when their definition changed (macros/pulse_view_materialization.sql)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, text

from tests.dbt.conftest import RunDbt
from tests.dbt.data import add_user

VIEWS = (
    "staging.stg_app__users",
    "staging.stg_app__activity_events",
    "staging.stg_app__activity_event_arrivals",
    "staging.stg_app__ranking_snapshots",
    "staging.stg_app__segment_overrides",
    "intermediate.int_ranking_snapshots_incremented",
)


def _view_oids(engine: Engine) -> dict[str, int | None]:
    """Each view's catalog id (a replaced view gets a new one); None when missing."""
    with engine.connect() as connection:
        return {
            view: connection.scalar(text("select cast(to_regclass(:view) as oid)"), {"view": view})
            for view in VIEWS
        }


def test_views_are_kept_until_their_definition_changes(engine: Engine, run_dbt: RunDbt) -> None:
    add_user(engine, 1, datetime.now(UTC) - timedelta(days=3))
    run_dbt("build")
    built = _view_oids(engine)
    assert None not in built.values()

    # nothing changed: every view is the same object, and the rows still read through
    run_dbt("build")
    assert _view_oids(engine) == built
    with engine.connect() as connection:
        assert connection.scalar(text("select count(*) from staging.stg_app__users")) == 1

    # a view built from other SQL (its comment holds that SQL's hash) is replaced alone
    with engine.begin() as connection:
        connection.execute(
            text("comment on view staging.stg_app__users is 'pulse view definition 0'")
        )
    run_dbt("build")
    changed = _view_oids(engine)
    assert changed["staging.stg_app__users"] != built["staging.stg_app__users"]
    assert {view: oid for view, oid in changed.items() if view != "staging.stg_app__users"} == {
        view: oid for view, oid in built.items() if view != "staging.stg_app__users"
    }

    # a view dropped outside dbt comes back, and a full refresh rebuilds every view
    with engine.begin() as connection:
        connection.execute(text("drop view staging.stg_app__segment_overrides"))
    run_dbt("build")
    assert _view_oids(engine)["staging.stg_app__segment_overrides"] is not None
    before_full_refresh = _view_oids(engine)
    run_dbt("build", "--full-refresh")
    after_full_refresh = _view_oids(engine)
    assert all(after_full_refresh[view] != before_full_refresh[view] for view in VIEWS)
