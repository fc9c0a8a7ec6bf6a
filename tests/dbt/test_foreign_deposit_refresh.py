"""A deposit written by another service in a transaction held open across a refresh.

The incremental run finds new snapshots by `received_at` after its watermark (the
previous run's newest `updated_at` minus `pulse__late_arrival_minutes`). Here the
margin is 0 and a later, committed write moves the watermark past the moment the
open transaction started: the open transaction's snapshot must still be found by
the run after its commit, which holds only when its `received_at` is its commit time.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import Engine, text

from tests.support.dbt import RunDbt
from tests.support.dbt_data import add_user, days, rows_by_user
from tests.support.deposits import upsert_current

HELD_OPEN, COMMITTED_MEANWHILE = 71, 72
# no margin: a snapshot stamped at its transaction's start would be behind the watermark
NO_MARGIN = {"pulse__late_arrival_minutes": 0}


def test_write_held_open_across_a_refresh_is_counted_by_the_next(
    engine: Engine, run_dbt: RunDbt
) -> None:
    signed_up = datetime.now(UTC) - days(60)
    add_user(engine, HELD_OPEN, signed_up)
    add_user(engine, COMMITTED_MEANWHILE, signed_up)
    run_dbt("build", vars=NO_MARGIN)

    with engine.connect() as held_open:
        transaction = held_open.begin()
        held_open.execute(
            text(
                "insert into app.external_ranking_data (user_id, deposit_amount, updated_at) "
                "values (:user_id, 2000000, now())"
            ),
            {"user_id": HELD_OPEN},
        )
        charged_at = held_open.execute(text("select now()")).scalar_one()
        # other deposits keep arriving and are refreshed while the transaction is open
        upsert_current(engine, COMMITTED_MEANWHILE, 500, datetime.now(UTC))
        run_dbt("build", vars=NO_MARGIN)
        meanwhile = rows_by_user(engine, "analytics.user_activity")
        assert meanwhile[COMMITTED_MEANWHILE]["deposit_30d"] == Decimal("500.00")
        assert meanwhile[HELD_OPEN]["last_charge_at"] is None
        transaction.commit()

    run_dbt("build", vars=NO_MARGIN)
    after = rows_by_user(engine, "analytics.user_activity")
    assert after[HELD_OPEN]["last_charge_at"] == charged_at
    assert after[HELD_OPEN]["deposit_30d"] == Decimal("2000000.00")
    assert rows_by_user(engine, "analytics.user_segment")[HELD_OPEN]["segment"] == "VIP"
