"""The published segment catalogue: the segments of the last pipeline run, in priority order.

The segments are declared once, in the dbt project (var `pulse__segments` in
`dbt_project/dbt_project.yml`), and every run publishes them as
`analytics.segment_catalogue` together with `analytics.user_segment`. The admin API
knows no segment name of its own: sizes, members, exports, explanations and override
validation all take the list from here, so a segment added, removed or reordered in
the dbt project reaches the API with the run that publishes it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from fastapi import HTTPException, status
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from ingest.segments.published import (
    SEGMENT_CATALOGUE,
    not_published_http_error,
    reading_published,
)
from ingest.segments.timestamps import as_utc


@dataclass(frozen=True)
class CatalogueEntry:
    """One declared segment: its place in the order, its rule and what it means."""

    priority: int
    name: str
    rule: str
    when_sql: str | None
    description: str | None
    description_ko: str | None
    is_fallback: bool


@dataclass(frozen=True)
class Catalogue:
    entries: tuple[CatalogueEntry, ...]
    as_of: datetime | None
    computed_at: datetime | None

    @property
    def names(self) -> list[str]:
        return [entry.name for entry in self.entries]

    def find(self, name: str) -> CatalogueEntry | None:
        """The entry of that name: spelled exactly, else the one entry matching in any case."""
        for entry in self.entries:
            if entry.name == name:
                return entry
        folded = [entry for entry in self.entries if entry.name.casefold() == name.casefold()]
        return folded[0] if len(folded) == 1 else None

    def by_rule(self, rule: str | None) -> CatalogueEntry | None:
        return next((entry for entry in self.entries if entry.rule == rule), None)

    def unknown(self, name: str) -> str:
        """The message for a name the catalogue does not hold, listing the ones it does."""
        return f"unknown segment '{name}': the published catalogue holds {', '.join(self.names)}"


async def read_catalogue(session: AsyncSession) -> Catalogue:
    """The catalogue in priority order; 503 with the hint before the first publication."""
    with reading_published():
        rows = (
            await session.execute(
                text(
                    "select priority, name, rule, when_sql, description, description_ko, "
                    f"is_fallback, as_of, computed_at from {SEGMENT_CATALOGUE} "
                    "order by priority"
                )
            )
        ).all()
    if not rows:
        raise not_published_http_error()
    return Catalogue(
        entries=tuple(
            CatalogueEntry(
                priority=int(row.priority),
                name=row.name,
                rule=row.rule,
                when_sql=row.when_sql,
                description=row.description,
                description_ko=row.description_ko,
                is_fallback=bool(row.is_fallback),
            )
            for row in rows
        ),
        as_of=as_utc(max((row.as_of for row in rows if row.as_of), default=None)),
        computed_at=as_utc(max((row.computed_at for row in rows if row.computed_at), default=None)),
    )


def require_entry(catalogue: Catalogue, name: str) -> CatalogueEntry:
    """The entry for a segment in a URL path, or 404 naming the valid segments."""
    entry = catalogue.find(name)
    if entry is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=catalogue.unknown(name))
    return entry
