"""The service's tables in schema `app`: users, events, deposit feed, overrides.

Revision ID: 0001
Revises:
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "app"
EVENT_TYPES = "'roulette_play', 'dice_play', 'lottery_play', 'bonus_used', 'play_duration', 'login'"
SEGMENTS = "'NEW', 'DORMANT_SHORT', 'DORMANT_LONG', 'VIP', 'ACTIVE'"


def _timestamp(name: str, *, nullable: bool = False, default_now: bool = False) -> sa.Column:
    return sa.Column(
        name,
        sa.DateTime(timezone=True),
        nullable=nullable,
        server_default=sa.func.now() if default_now else None,
    )


def upgrade() -> None:
    op.execute(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}")

    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        _timestamp("created_at"),
        _timestamp("last_login_at", nullable=True),
        _timestamp("updated_at", default_now=True),
        sa.PrimaryKeyConstraint("id", name="pk_users"),
        schema=SCHEMA,
    )

    op.create_table(
        "activity_events",
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("event_type", sa.Text(), nullable=False),
        _timestamp("occurred_at"),
        _timestamp("received_at", default_now=True),
        sa.Column("play_duration_seconds", sa.Integer(), nullable=True),
        sa.Column(
            "metadata",
            postgresql.JSONB(),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.CheckConstraint(f"event_type IN ({EVENT_TYPES})", name="ck_activity_events_event_type"),
        sa.CheckConstraint(
            "play_duration_seconds BETWEEN 0 AND 86400",
            name="ck_activity_events_play_duration_seconds",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["app.users.id"], name="fk_activity_events_user_id_users"
        ),
        sa.PrimaryKeyConstraint("event_id", name="pk_activity_events"),
        schema=SCHEMA,
    )
    op.create_index(
        "ix_activity_events_user_id_occurred_at",
        "activity_events",
        ["user_id", "occurred_at"],
        schema=SCHEMA,
    )
    op.create_index(
        "ix_activity_events_received_at", "activity_events", ["received_at"], schema=SCHEMA
    )

    op.create_table(
        "external_ranking_data",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("deposit_amount", sa.Numeric(18, 2), nullable=False),
        _timestamp("updated_at"),
        sa.CheckConstraint("deposit_amount >= 0", name="ck_external_ranking_data_deposit_amount"),
        sa.ForeignKeyConstraint(
            ["user_id"], ["app.users.id"], name="fk_external_ranking_data_user_id_users"
        ),
        sa.PrimaryKeyConstraint("user_id", name="pk_external_ranking_data"),
        schema=SCHEMA,
    )

    op.create_table(
        "ranking_snapshots",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=True), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("deposit_amount", sa.Numeric(18, 2), nullable=False),
        _timestamp("updated_at"),
        _timestamp("received_at", default_now=True),
        sa.CheckConstraint("deposit_amount >= 0", name="ck_ranking_snapshots_deposit_amount"),
        sa.ForeignKeyConstraint(
            ["user_id"], ["app.users.id"], name="fk_ranking_snapshots_user_id_users"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_ranking_snapshots"),
        sa.UniqueConstraint(
            "user_id", "updated_at", name="uq_ranking_snapshots_user_id_updated_at"
        ),
        schema=SCHEMA,
    )
    op.create_index(
        "ix_ranking_snapshots_received_at", "ranking_snapshots", ["received_at"], schema=SCHEMA
    )

    op.create_table(
        "segment_overrides",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("segment", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        _timestamp("expires_at", nullable=True),
        sa.Column("created_by", sa.Text(), nullable=False),
        _timestamp("created_at", default_now=True),
        sa.CheckConstraint(f"segment IN ({SEGMENTS})", name="ck_segment_overrides_segment"),
        sa.CheckConstraint(
            "length(btrim(reason)) > 0", name="ck_segment_overrides_reason_not_blank"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["app.users.id"], name="fk_segment_overrides_user_id_users"
        ),
        sa.PrimaryKeyConstraint("user_id", name="pk_segment_overrides"),
        schema=SCHEMA,
    )

    op.create_table(
        "segment_override_audit",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=True), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("action", sa.Text(), nullable=False),
        sa.Column("segment", sa.Text(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        _timestamp("expires_at", nullable=True),
        sa.Column("actor", sa.Text(), nullable=False),
        _timestamp("created_at", default_now=True),
        sa.CheckConstraint("action IN ('set', 'clear')", name="ck_segment_override_audit_action"),
        sa.CheckConstraint(
            f"segment IS NULL OR segment IN ({SEGMENTS})",
            name="ck_segment_override_audit_segment",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["app.users.id"], name="fk_segment_override_audit_user_id_users"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_segment_override_audit"),
        schema=SCHEMA,
    )
    op.create_index(
        "ix_segment_override_audit_user_id_created_at",
        "segment_override_audit",
        ["user_id", "created_at"],
        schema=SCHEMA,
    )


def downgrade() -> None:
    for table in (
        "segment_override_audit",
        "segment_overrides",
        "ranking_snapshots",
        "external_ranking_data",
        "activity_events",
        "users",
    ):
        op.drop_table(table, schema=SCHEMA)
    op.execute(f"DROP SCHEMA IF EXISTS {SCHEMA}")
