"""Alembic migrations against real PostgreSQL: one head, up, down, stairway, models == DDL."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pytest_alembic import MigrationContext
from pytest_alembic.tests import (
    test_model_definitions_match_ddl,  # noqa: F401
    test_single_head_revision,  # noqa: F401
    test_up_down_consistency,  # noqa: F401
    test_upgrade,  # noqa: F401
)
from sqlalchemy import Engine, create_engine, inspect, text

from tests.support.databases import alembic_config as _alembic_config

SERVICE_TABLES = {
    "users",
    "activity_events",
    "external_ranking_data",
    "ranking_snapshots",
    "segment_overrides",
    "segment_override_audit",
}


@pytest.fixture
def alembic_config():
    return _alembic_config()


@pytest.fixture
def alembic_engine(scratch_database: str) -> Iterator[Engine]:
    engine = create_engine(scratch_database)
    yield engine
    engine.dispose()


def _app_tables(engine: Engine) -> set[str]:
    return set(inspect(engine).get_table_names(schema="app")) if _has_app_schema(engine) else set()


def _has_app_schema(engine: Engine) -> bool:
    return "app" in inspect(engine).get_schema_names()


def test_head_creates_every_service_table_and_base_removes_them(
    alembic_runner: MigrationContext, alembic_engine: Engine
) -> None:
    alembic_runner.migrate_up_to("heads")
    assert _app_tables(alembic_engine) >= SERVICE_TABLES
    alembic_runner.migrate_down_to("base")
    assert _app_tables(alembic_engine) == set()
    assert not _has_app_schema(alembic_engine)
    alembic_runner.migrate_up_to("heads")
    assert _app_tables(alembic_engine) >= SERVICE_TABLES


def test_stairway_each_revision_up_down_up(alembic_runner: MigrationContext) -> None:
    revisions = alembic_runner.history.revisions
    assert revisions[0] == "base"
    for revision in [r for r in revisions[1:] if r != "heads"]:
        alembic_runner.migrate_up_to(revision)
        alembic_runner.migrate_down_one()
        alembic_runner.migrate_up_one()
        assert alembic_runner.current == revision


def test_upgrade_keeps_existing_rows(
    alembic_runner: MigrationContext, alembic_engine: Engine
) -> None:
    first = alembic_runner.history.revisions[1]
    alembic_runner.migrate_up_to(first)
    with alembic_engine.begin() as connection:
        connection.execute(
            text("insert into app.users (id, created_at) values (1, now()), (2, now())")
        )
        connection.execute(
            text(
                "insert into app.activity_events (event_id, user_id, event_type, occurred_at) "
                "values (gen_random_uuid(), 1, 'login', now())"
            )
        )
        connection.execute(
            text(
                "insert into app.ranking_snapshots (user_id, deposit_amount, updated_at) "
                "values (2, 1500.50, now())"
            )
        )
    alembic_runner.migrate_up_to("heads")
    with alembic_engine.connect() as connection:
        assert connection.scalar(text("select count(*) from app.users")) == 2
        assert connection.scalar(text("select count(*) from app.activity_events")) == 1
        assert connection.scalar(
            text("select deposit_amount from app.ranking_snapshots where user_id = 2")
        ) == pytest.approx(1500.50)


def test_constraints_reject_bad_rows(
    alembic_runner: MigrationContext, alembic_engine: Engine
) -> None:
    alembic_runner.migrate_up_to("heads")
    bad_statements = [
        # unknown event type
        "insert into app.activity_events (event_id, user_id, event_type, occurred_at) "
        "values (gen_random_uuid(), 1, 'slot_play', now())",
        # play duration over a day
        "insert into app.activity_events (event_id, user_id, event_type, occurred_at, "
        "play_duration_seconds) values (gen_random_uuid(), 1, 'play_duration', now(), 86401)",
        # event for a user not in the mirror
        "insert into app.activity_events (event_id, user_id, event_type, occurred_at) "
        "values (gen_random_uuid(), 999, 'login', now())",
        # negative deposit
        "insert into app.external_ranking_data (user_id, deposit_amount, updated_at) "
        "values (1, -1, now())",
        # blank reason
        "insert into app.segment_overrides (user_id, segment, reason, created_by) "
        "values (1, 'VIP', '  ', 'admin')",
    ]
    with alembic_engine.begin() as connection:
        connection.execute(text("insert into app.users (id, created_at) values (1, now())"))
    for statement in bad_statements:
        with pytest.raises(Exception) as error, alembic_engine.begin() as connection:
            connection.execute(text(statement))
        assert "violates" in str(error.value), statement


def test_same_snapshot_twice_is_refused(
    alembic_runner: MigrationContext, alembic_engine: Engine
) -> None:
    alembic_runner.migrate_up_to("heads")
    with alembic_engine.begin() as connection:
        connection.execute(text("insert into app.users (id, created_at) values (1, now())"))
        connection.execute(
            text(
                "insert into app.ranking_snapshots (user_id, deposit_amount, updated_at) "
                "values (1, 10, '2026-11-01T00:00:00Z')"
            )
        )
    duplicate = pytest.raises(Exception, match="uq_ranking_snapshots_user_id_updated_at")
    with duplicate, alembic_engine.begin() as connection:
        connection.execute(
            text(
                "insert into app.ranking_snapshots (user_id, deposit_amount, updated_at) "
                "values (1, 20, '2026-11-01T00:00:00Z')"
            )
        )


# The segment-name constraints of revision 0001 (names as its naming convention made them).
OVERRIDES_CHECK = "ck_segment_overrides_ck_segment_overrides_segment"
AUDIT_CHECK = "ck_segment_override_audit_ck_segment_override_audit_segment"
CHECKS = {"overrides_check": OVERRIDES_CHECK, "audit_check": AUDIT_CHECK}


def _insert_override_and_audit(engine: Engine, user_id: int, segment: str) -> None:
    with engine.begin() as connection:
        connection.execute(
            text("insert into app.users (id, created_at) values (:id, now())"), {"id": user_id}
        )
        connection.execute(
            text(
                "insert into app.segment_overrides (user_id, segment, reason, created_by) "
                "values (:id, :segment, 'campaign', 'admin')"
            ),
            {"id": user_id, "segment": segment},
        )
        connection.execute(
            text(
                "insert into app.segment_override_audit (user_id, action, segment, actor) "
                "values (:id, 'set', :segment, 'admin')"
            ),
            {"id": user_id, "segment": segment},
        )


def test_head_takes_any_segment_name_the_catalogue_may_publish(
    alembic_runner: MigrationContext, alembic_engine: Engine
) -> None:
    alembic_runner.migrate_up_to("heads")
    _insert_override_and_audit(alembic_engine, 1, "HIGH_ROLLER")
    with alembic_engine.connect() as connection:
        assert connection.scalar(text("select segment from app.segment_overrides")) == (
            "HIGH_ROLLER"
        )


def test_downgrade_refuses_overrides_the_restored_constraint_would_reject(
    alembic_runner: MigrationContext, alembic_engine: Engine
) -> None:
    alembic_runner.migrate_up_to("0005")
    _insert_override_and_audit(alembic_engine, 1, "HIGH_ROLLER")
    with pytest.raises(RuntimeError, match=r"1 override\(s\).*user 1: 'HIGH_ROLLER'.*Clear them"):
        alembic_runner.migrate_down_to("0004")
    assert alembic_runner.current == "0005"

    # Once the live override is cleared, the audit log (history) does not block: its
    # constraint comes back for new rows only, and the old rows stay as they were.
    with alembic_engine.begin() as connection:
        connection.execute(text("delete from app.segment_overrides"))
    alembic_runner.migrate_down_to("0004")
    with alembic_engine.connect() as connection:
        assert connection.scalar(text("select segment from app.segment_override_audit")) == (
            "HIGH_ROLLER"
        )
        validated = dict(
            connection.execute(
                text(
                    "select conname, convalidated from pg_constraint where conname in "
                    "(:overrides_check, :audit_check)"
                ),
                CHECKS,
            ).all()
        )
    assert validated == {
        OVERRIDES_CHECK: True,
        AUDIT_CHECK: False,
    }
    for table, columns, values in [
        ("segment_overrides", "user_id, segment, reason, created_by", "1, 'WHALE', 'x', 'a'"),
        ("segment_override_audit", "user_id, action, segment, actor", "1, 'set', 'WHALE', 'a'"),
    ]:
        refused = pytest.raises(Exception, match="violates check constraint")
        with refused, alembic_engine.begin() as connection:
            connection.execute(text(f"insert into app.{table} ({columns}) values ({values})"))
    alembic_runner.migrate_up_to("heads")


def test_downgrade_without_foreign_names_restores_validated_constraints(
    alembic_runner: MigrationContext, alembic_engine: Engine
) -> None:
    alembic_runner.migrate_up_to("0005")
    _insert_override_and_audit(alembic_engine, 1, "VIP")
    alembic_runner.migrate_down_to("0004")
    with alembic_engine.connect() as connection:
        states = connection.execute(
            text(
                "select bool_and(convalidated), count(*) from pg_constraint where conname in "
                "(:overrides_check, :audit_check)"
            ),
            CHECKS,
        ).one()
        assert tuple(states) == (True, 2)
        assert connection.scalar(text("select segment from app.segment_overrides")) == "VIP"
