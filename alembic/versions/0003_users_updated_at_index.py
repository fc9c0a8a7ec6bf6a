"""An index on users.updated_at: incremental dbt runs and their tests find the users
written since the previous run through it instead of reading every user.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "app"


def upgrade() -> None:
    op.create_index("ix_users_updated_at", "users", ["updated_at"], schema=SCHEMA)


def downgrade() -> None:
    op.drop_index("ix_users_updated_at", table_name="users", schema=SCHEMA)
