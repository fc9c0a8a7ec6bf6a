"""Overrides and their audit rows take any segment name; the published catalogue decides.

The segments are declared once, in the dbt project (var `pulse__segments`), and
published with every run as `analytics.segment_catalogue`. A CHECK constraint listing
the names in `app` would be a second declaration that a new segment has to be
migrated into. The admin API checks an override's segment against the published
catalogue instead, and the pipeline ignores an override whose segment the catalogue
no longer holds (docs/decisions/segment-catalogue.md).

Downgrade restores the two constraints of revision 0001, with the names that revision
lists. It refuses while `app.segment_overrides` holds an override naming another
segment (the pipeline of revision 0004 would fail on it): clear or change those first.
The audit log is history and is kept as it is: its constraint comes back checking
new rows only (`NOT VALID`) when older rows name other segments, and fully validated
otherwise.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The names revision 0001 gave them (the models' naming convention prefixed its names).
OVERRIDES_CHECK = "ck_segment_overrides_ck_segment_overrides_segment"
AUDIT_CHECK = "ck_segment_override_audit_ck_segment_override_audit_segment"


def upgrade() -> None:
    # Plain SQL: `op.drop_constraint` would prefix the names once more.
    op.execute(f"alter table app.segment_overrides drop constraint {OVERRIDES_CHECK}")
    op.execute(f"alter table app.segment_override_audit drop constraint {AUDIT_CHECK}")


def _names_of_revision_0001() -> str:
    """The quoted segment list revision 0001 wrote into its constraints."""
    script = op.get_context().script
    assert script is not None, "alembic runs migrations with their script directory"
    revision_0001 = script.get_revision("0001")
    assert revision_0001 is not None
    names: str = revision_0001.module.SEGMENTS
    return names


def downgrade() -> None:
    names = _names_of_revision_0001()
    connection = op.get_bind()
    refused = connection.execute(
        sa.text(
            f"select user_id, segment from app.segment_overrides "
            f"where segment not in ({names}) order by user_id"
        )
    ).all()
    if refused:
        listed = ", ".join(f"user {row.user_id}: {row.segment!r}" for row in refused[:10])
        more = f" and {len(refused) - 10} more" if len(refused) > 10 else ""
        raise RuntimeError(
            f"cannot downgrade below 0005: {len(refused)} override(s) in app.segment_overrides "
            f"name segments revision 0004 does not allow ({listed}{more}). Clear them "
            f"(DELETE /admin/api/users/{{user_id}}/segment/override) or set one of "
            f"{names} first."
        )
    op.execute(
        f"alter table app.segment_overrides add constraint {OVERRIDES_CHECK} "
        f"check (segment IN ({names}))"
    )
    op.execute(
        f"alter table app.segment_override_audit add constraint {AUDIT_CHECK} "
        f"check (segment IS NULL OR segment IN ({names})) not valid"
    )
    history_outside = connection.execute(
        sa.text(
            f"select count(*) from app.segment_override_audit "
            f"where segment is not null and segment not in ({names})"
        )
    ).scalar_one()
    if not history_outside:
        op.execute(f"alter table app.segment_override_audit validate constraint {AUDIT_CHECK}")
