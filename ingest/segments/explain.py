"""Why a player is in a segment, told from the published catalogue and the pipeline's own verdicts.

The API evaluates no rule itself: dbt publishes, per player, `matched_segments` (the
names of every catalogue entry whose `when` held at the run, in priority order, before
overrides). This module lays the catalogue out beside it, entry by entry, and says in
one sentence which entry decided, quoting its `when` as declared.
"""

from __future__ import annotations

from ingest.segments.catalogue import Catalogue, CatalogueEntry
from ingest.segments.schemas import RuleCheck


def parse_matched(matched_segments: str | None) -> list[str] | None:
    """`"A,B"` -> `["A", "B"]` (priority order); None when the player is not published."""
    if matched_segments is None:
        return None
    return [name for name in matched_segments.split(",") if name]


def rules_segment(matched: list[str] | None) -> str | None:
    """The segment the rules give: the first entry that held (the fallback when none did)."""
    return matched[0] if matched else None


def rule_checks(catalogue: Catalogue, matched: list[str] | None, by_rules: bool) -> list[RuleCheck]:
    """Every catalogue entry in priority order, whether it held, and which one decided.

    `by_rules` is False while an override decides the live segment: then no entry does.
    """
    held = set(matched) if matched is not None else None
    return [
        RuleCheck(
            priority=entry.priority,
            segment=entry.name,
            rule=entry.rule,
            when=entry.when_sql,
            description=entry.description,
            description_ko=entry.description_ko,
            is_fallback=entry.is_fallback,
            held=entry.name in held if held is not None else None,
            decisive=by_rules and held is not None and entry.name == rules_segment(matched),
        )
        for entry in catalogue.entries
    ]


def _why(entry: CatalogueEntry) -> str:
    if entry.is_fallback or entry.when_sql is None:
        return f"{entry.name}: no entry before it holds (the fallback)."
    return f"{entry.name}: first rule that holds: `{entry.when_sql}`."


def summary(
    catalogue: Catalogue,
    *,
    is_published: bool,
    published_rule: str | None,
    published_segment: str | None,
    matched: list[str] | None,
    override_segment: str | None,
) -> str:
    """One sentence an admin reads first.

    `override_segment` is the segment of an override that applies (None otherwise).
    """
    if override_segment is not None:
        return (
            f"{override_segment}: set by an admin override; the rules below are what would "
            "apply without it."
        )
    if not is_published:
        return "Not segmented yet: the player joined after the last pipeline run."
    if published_rule == "override":
        by_rules = catalogue.find(rules_segment(matched) or "")
        then = f" {_why(by_rules)}" if by_rules is not None else ""
        return (
            "The override was cleared or expired after the last pipeline run; the next run "
            f"gives the segment by the rules.{then}"
        )
    entry = catalogue.by_rule(published_rule)
    if entry is None:
        return f"{published_segment}: decided by rule '{published_rule}'."
    return _why(entry)
