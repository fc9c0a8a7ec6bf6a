"""The explanation is told from whatever catalogue was published: no segment is built in.

The catalogue here is invented (names no shipped declaration uses), so a name or a
rule the module knew of itself would show.
"""

from __future__ import annotations

from ingest.segments.catalogue import Catalogue, CatalogueEntry
from ingest.segments.explain import parse_matched, rule_checks, rules_segment, summary

CATALOGUE = Catalogue(
    entries=(
        CatalogueEntry(1, "GOLD", "gold", "deposit_30d >= 5", "Big spenders.", "큰손.", False),
        CatalogueEntry(2, "SLEEPY", "sleepy", "last_active_at < as_of", "Idle.", None, False),
        CatalogueEntry(3, "REST", "rest", None, "Everyone else.", None, True),
    ),
    as_of=None,
    computed_at=None,
)


def test_matched_segments_are_read_in_order() -> None:
    assert parse_matched("GOLD,SLEEPY") == ["GOLD", "SLEEPY"]
    assert parse_matched("REST") == ["REST"]
    assert parse_matched(None) is None
    assert rules_segment(["SLEEPY"]) == "SLEEPY"
    assert rules_segment(None) is None


def test_every_entry_is_listed_in_priority_order_with_whether_it_held() -> None:
    checks = rule_checks(CATALOGUE, ["GOLD", "SLEEPY"], by_rules=True)
    assert [(c.priority, c.segment, c.rule, c.held) for c in checks] == [
        (1, "GOLD", "gold", True),
        (2, "SLEEPY", "sleepy", True),
        (3, "REST", "rest", False),
    ]
    assert [c.segment for c in checks if c.decisive] == ["GOLD"]
    assert (checks[0].when, checks[0].description_ko) == ("deposit_30d >= 5", "큰손.")
    assert (checks[2].when, checks[2].is_fallback) == (None, True)


def test_an_override_leaves_no_entry_decisive_and_unpublished_holds_nothing() -> None:
    assert not any(c.decisive for c in rule_checks(CATALOGUE, ["SLEEPY"], by_rules=False))
    unpublished = rule_checks(CATALOGUE, None, by_rules=False)
    assert [c.held for c in unpublished] == [None, None, None]


def test_summary_quotes_the_deciding_condition() -> None:
    def say(rule: str | None, matched: list[str] | None, override: str | None = None) -> str:
        return summary(
            CATALOGUE,
            is_published=matched is not None,
            published_rule=rule,
            published_segment=CATALOGUE.by_rule(rule).name if CATALOGUE.by_rule(rule) else None,
            matched=matched,
            override_segment=override,
        )

    assert say("sleepy", ["SLEEPY"]) == "SLEEPY: first rule that holds: `last_active_at < as_of`."
    assert say("rest", ["REST"]) == "REST: no entry before it holds (the fallback)."
    assert say("sleepy", ["SLEEPY"], override="GOLD").startswith("GOLD: set by an admin override")
    assert say(None, None).startswith("Not segmented yet")
    cleared = say("override", ["GOLD", "SLEEPY"])
    assert "cleared or expired" in cleared
    assert cleared.endswith("GOLD: first rule that holds: `deposit_30d >= 5`.")


def test_names_are_found_in_any_case_and_unknown_ones_list_the_catalogue() -> None:
    assert CATALOGUE.find("sleepy") == CATALOGUE.entries[1]
    assert CATALOGUE.find("GOLD ") is None
    assert CATALOGUE.unknown("VIP") == (
        "unknown segment 'VIP': the published catalogue holds GOLD, SLEEPY, REST"
    )
