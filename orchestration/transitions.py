"""What a rule change would do: published segment -> proposed segment, per user.

Compares `analytics.user_segment` (published) with the candidate a dry run built into
`dryrun_analytics_candidate`. A user missing on one side shows as `(none)`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from sqlalchemy import Connection, text

NONE_LABEL = "(none)"
SAMPLE_IDS = 10

TRANSITIONS_SQL = """
with published as (
    select user_id, segment from {published}
),

proposed as (
    select user_id, segment from {proposed}
),

paired as (
    select
        coalesce(published.user_id, proposed.user_id) as user_id,
        coalesce(published.segment, '{none}') as from_segment,
        coalesce(proposed.segment, '{none}') as to_segment
    from published
    full outer join proposed on published.user_id = proposed.user_id
)

select
    from_segment,
    to_segment,
    count(*) as users,
    (array_agg(user_id order by user_id))[1:{samples}] as sample_user_ids
from paired
group by from_segment, to_segment
order by from_segment, to_segment
"""


@dataclass(frozen=True)
class Transition:
    from_segment: str
    to_segment: str
    users: int
    sample_user_ids: list[int]


@dataclass(frozen=True)
class TransitionReport:
    as_of: str | None
    total_users: int
    total_moving: int
    transitions: list[Transition] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        return asdict(self)

    def render(self) -> str:
        """The report for a terminal: the matrix of counts, then each move with sample ids."""
        sources = sorted({item.from_segment for item in self.transitions})
        targets = sorted({item.to_segment for item in self.transitions})
        counts = {(item.from_segment, item.to_segment): item.users for item in self.transitions}
        width = max([8, *(len(name) + 2 for name in targets)])
        corner = "published \\ new"
        lines = [
            f"segment transitions, published -> dry run (as of {self.as_of or 'now'}):",
            "",
            f"  {corner:<16}" + "".join(f"{name:>{width}}" for name in targets),
        ]
        for source in sources:
            cells = "".join(f"{counts.get((source, target), 0):>{width}}" for target in targets)
            lines.append(f"  {source:<16}{cells}")
        lines += ["", f"total users: {self.total_users}; moving: {self.total_moving}"]
        for item in self.transitions:
            if item.from_segment != item.to_segment:
                samples = ", ".join(str(user_id) for user_id in item.sample_user_ids)
                lines.append(
                    f"  {item.from_segment} -> {item.to_segment}: {item.users} (e.g. {samples})"
                )
        return "\n".join(lines)


def _relation_or_empty(connection: Connection, relation: str) -> str:
    exists = connection.execute(text("select to_regclass(:name)"), {"name": relation}).scalar()
    # Before the first publish there is nothing to compare with: an empty side.
    return (
        relation
        if exists
        else "(select null::integer as user_id, null::text as segment where false) as empty_side"
    )


def segment_transitions(
    connection: Connection, published: str, proposed: str, as_of: str | None
) -> TransitionReport:
    sql = TRANSITIONS_SQL.format(
        published=_relation_or_empty(connection, published),
        proposed=_relation_or_empty(connection, proposed),
        none=NONE_LABEL,
        samples=SAMPLE_IDS,
    )
    rows = connection.execute(text(sql)).all()
    transitions = [
        Transition(row.from_segment, row.to_segment, int(row.users), list(row.sample_user_ids))
        for row in rows
    ]
    return TransitionReport(
        as_of=as_of,
        total_users=sum(item.users for item in transitions),
        total_moving=sum(
            item.users for item in transitions if item.from_segment != item.to_segment
        ),
        transitions=transitions,
    )
