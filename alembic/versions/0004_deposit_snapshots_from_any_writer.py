"""Every write of `app.external_ranking_data`, by any client, keeps a deposit snapshot.

The platform's own tools update the current deposit row directly, not only through
the deposit feed routes. Two triggers make such a write look like the feed's:

- `trg_external_ranking_data_checked` (BEFORE INSERT OR UPDATE, per row) makes the
  row one the feed would have stored, without ever refusing it: a missing
  `updated_at` becomes the transaction's time, one more than five minutes ahead of it
  (what the API refuses) is clamped to it, a change of the amount that does not move
  `updated_at` past the stored one (or past a snapshot at that time with another
  amount) is stamped with the transaction's time (later than the stored one), an
  unchanged amount never moves `updated_at` backwards, and a user not in `app.users`
  is created (first seen at the row's `updated_at`), so the foreign key holds.
- `trg_external_ranking_data_snapshot` (a constraint trigger, DEFERRABLE INITIALLY
  DEFERRED) appends the row to `app.ranking_snapshots` at commit time, with
  `received_at = clock_timestamp()`: a snapshot becomes visible moments after its
  `received_at`, however long its writer's transaction stayed open, so the
  incremental runs' `received_at` watermark and the lake export find it. A snapshot
  already stored for that `(user_id, updated_at)` (the feed's own) is left as it is.

Both functions are SECURITY DEFINER with a fixed search_path: a writer that may only
write `external_ranking_data` still gets its user and its snapshot.
docs/decisions/deposits-from-any-writer.md says why.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CHECKED = """
create function app.external_ranking_data_checked() returns trigger
language plpgsql security definer set search_path = pg_catalog, pg_temp as $$
declare
    -- what the API refuses as a client clock bug (ingest/schemas/instants.py)
    max_clock_skew constant interval := interval '5 minutes';
    one_tick constant interval := interval '1 microsecond';
begin
    if new.updated_at is null then
        new.updated_at := now();
    elsif new.updated_at > now() + max_clock_skew then
        new.updated_at := now();
    end if;

    if tg_op = 'UPDATE' and new.user_id = old.user_id
        and new.updated_at <= old.updated_at then
        if new.deposit_amount = old.deposit_amount then
            -- nothing new: the current row never moves backwards (the feed's "stale")
            new.updated_at := old.updated_at;
            return new;
        end if;
        new.updated_at := greatest(now(), old.updated_at + one_tick);
    end if;

    -- a snapshot at this time with another amount would hide the change: stamp it
    -- after the user's newest snapshot
    if exists (
        select from app.ranking_snapshots as snapshots
        where snapshots.user_id = new.user_id
            and snapshots.updated_at = new.updated_at
            and snapshots.deposit_amount <> new.deposit_amount
    ) then
        select greatest(now(), max(snapshots.updated_at) + one_tick)
        into new.updated_at
        from app.ranking_snapshots as snapshots
        where snapshots.user_id = new.user_id;
    end if;

    if not exists (select from app.users as users where users.id = new.user_id) then
        insert into app.users (id, created_at)
        values (new.user_id, new.updated_at)
        on conflict (id) do nothing;
    end if;
    return new;
end
$$
"""

SNAPSHOT = """
create function app.external_ranking_data_snapshot() returns trigger
language plpgsql security definer set search_path = pg_catalog, pg_temp as $$
begin
    -- deferred to commit: received_at is the moment the snapshot is about to become
    -- visible, not the start of its transaction
    insert into app.ranking_snapshots (user_id, deposit_amount, updated_at, received_at)
    values (new.user_id, new.deposit_amount, new.updated_at, clock_timestamp())
    on conflict (user_id, updated_at) do nothing;
    return null;
end
$$
"""


def upgrade() -> None:
    op.execute(CHECKED)
    op.execute(SNAPSHOT)
    op.execute(
        "create trigger trg_external_ranking_data_checked "
        "before insert or update on app.external_ranking_data "
        "for each row execute function app.external_ranking_data_checked()"
    )
    op.execute(
        "create constraint trigger trg_external_ranking_data_snapshot "
        "after insert or update on app.external_ranking_data "
        "deferrable initially deferred "
        "for each row execute function app.external_ranking_data_snapshot()"
    )
    # Only the triggers call them.
    op.execute("revoke all on function app.external_ranking_data_checked() from public")
    op.execute("revoke all on function app.external_ranking_data_snapshot() from public")


def downgrade() -> None:
    op.execute("drop trigger trg_external_ranking_data_snapshot on app.external_ranking_data")
    op.execute("drop trigger trg_external_ranking_data_checked on app.external_ranking_data")
    op.execute("drop function app.external_ranking_data_snapshot()")
    op.execute("drop function app.external_ranking_data_checked()")
