"""How far the published segments are behind what Pulse has received.

The published run evaluated every player at its `as_of` (the one row of
`analytics.segment_publication`, which the publish gate replaces in the transaction
that publishes; reading it never waits behind a publish). Whatever the ingest service
stored after that moment (activity events, deposit snapshots, user upserts, override
changes) is not yet in the published segments. The event-driven refresh starts a run
when there is some; the API's `/metrics` and the lag alert report the age of the
oldest such event or deposit.

One read, a handful of index probes: every column compared here is indexed
(`received_at` of events and snapshots, `updated_at` of users) or lives in a small
table (overrides), so the sensors and the metrics endpoint can ask every few seconds.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Connection, text

PUBLICATION = "analytics.segment_publication"

# `:after` is the published run's as_of (the year 1 before the first publication).
_UNPUBLISHED_SQL = """
select
    clock_timestamp() as checked_at,
    (
        select min(events.received_at) from app.activity_events as events
        where events.received_at > :after
    ) as oldest_event_at,
    (
        select min(snapshots.received_at) from app.ranking_snapshots as snapshots
        where snapshots.received_at > :after
    ) as oldest_deposit_at,
    exists (
        select 1 from app.users as users where users.updated_at > :after
    ) as users_changed,
    exists (
        select 1 from app.segment_override_audit as audit where audit.created_at > :after
    ) or exists (
        select 1 from app.segment_overrides as overrides where overrides.created_at > :after
    ) as overrides_changed
"""


@dataclass(frozen=True)
class Unpublished:
    """What arrived after the published run's `as_of`, read at `checked_at` (database clock)."""

    checked_at: datetime
    published_as_of: datetime | None
    published_computed_at: datetime | None
    oldest_event_at: datetime | None
    oldest_deposit_at: datetime | None
    users_changed: bool
    overrides_changed: bool

    @property
    def oldest_pending_at(self) -> datetime | None:
        """When the oldest event or deposit snapshot not yet published was received."""
        pending = [at for at in (self.oldest_event_at, self.oldest_deposit_at) if at is not None]
        return min(pending) if pending else None

    @property
    def lag_seconds(self) -> float:
        """Age of the oldest event or deposit not yet published; 0 when there is none."""
        oldest = self.oldest_pending_at
        return max((self.checked_at - oldest).total_seconds(), 0.0) if oldest else 0.0

    @property
    def anything_new(self) -> bool:
        return self.oldest_pending_at is not None or self.users_changed or self.overrides_changed

    def reason(self) -> str:
        """What is new, in one line (for a run's tags and a sensor's tick)."""
        parts = []
        if self.oldest_event_at is not None:
            parts.append(f"activity events (oldest received {self._age(self.oldest_event_at)})")
        if self.oldest_deposit_at is not None:
            parts.append(f"deposit snapshots (oldest received {self._age(self.oldest_deposit_at)})")
        if self.users_changed:
            parts.append("user upserts")
        if self.overrides_changed:
            parts.append("override changes")
        since = (
            f"since the published run (as_of {self.published_as_of.isoformat()})"
            if self.published_as_of is not None
            else "and nothing is published yet"
        )
        return f"{', '.join(parts) or 'nothing new'} {since}"

    def _age(self, at: datetime) -> str:
        return f"{max((self.checked_at - at).total_seconds(), 0.0):.0f} s ago"


def read_unpublished(connection: Connection) -> Unpublished:
    """What the published segments do not include yet (works before the first publication)."""
    published_as_of: datetime | None = None
    published_computed_at: datetime | None = None
    if connection.execute(text("select to_regclass(:name)"), {"name": PUBLICATION}).scalar():
        published = connection.execute(
            text(f"select max(as_of), max(computed_at) from {PUBLICATION}")
        ).one()
        published_as_of, published_computed_at = published[0], published[1]
    after = published_as_of or datetime(1, 1, 1, tzinfo=UTC)
    row = connection.execute(text(_UNPUBLISHED_SQL), {"after": after}).one()
    return Unpublished(
        checked_at=row.checked_at,
        published_as_of=published_as_of,
        published_computed_at=published_computed_at,
        oldest_event_at=row.oldest_event_at,
        oldest_deposit_at=row.oldest_deposit_at,
        users_changed=bool(row.users_changed),
        overrides_changed=bool(row.overrides_changed),
    )
