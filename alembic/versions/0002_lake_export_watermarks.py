"""Watermarks of the Parquet lake export: how far each raw table has been exported.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "app"


def upgrade() -> None:
    op.create_table(
        "lake_export_watermarks",
        sa.Column("table_name", sa.Text(), nullable=False),
        sa.Column("exported_until", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "exported_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.PrimaryKeyConstraint("table_name", name="pk_lake_export_watermarks"),
        schema=SCHEMA,
    )


def downgrade() -> None:
    op.drop_table("lake_export_watermarks", schema=SCHEMA)
