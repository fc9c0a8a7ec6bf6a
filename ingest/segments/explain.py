"""Why a player is in a segment: the features the rules read and the thresholds they use.

The segment itself is decided by dbt; this module restates each rule as a
comparison an admin can read ("last active 41.2 days before as_of; dormant_long
needs at least 30"), in the order the pipeline applies them. The published
`rule` says which one decided; `matched` says which ones hold for these values.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from ingest.segments.thresholds import Thresholds

SECONDS_PER_DAY = 86_400

# The rules in the order the pipeline applies them; the first that holds decides.
RULE_SEGMENTS = {
    "vip": "VIP",
    "dormant_long": "DORMANT_LONG",
    "dormant_short": "DORMANT_SHORT",
    "new": "NEW",
    "active": "ACTIVE",
}


@dataclass(frozen=True)
class PublishedFeatures:
    """The values `analytics.user_segment` published for one player."""

    deposit_30d: Decimal | None
    last_active_at: datetime | None
    created_at: datetime | None
    as_of: datetime


def _days_between(earlier: datetime | None, later: datetime) -> float | None:
    if earlier is None:
        return None
    return round((later - earlier).total_seconds() / SECONDS_PER_DAY, 2)


def rule_checks(features: PublishedFeatures, thresholds: Thresholds) -> list[dict[str, Any]]:
    """One entry per rule, in priority order: what it compares and whether it holds.

    The comparisons mirror the rules in `user_activity.sql` exactly (`>=` for VIP, idle for at
    least N days for dormancy, signed up less than N days before as_of for new).
    """
    as_of = features.as_of
    deposit = features.deposit_30d if features.deposit_30d is not None else Decimal(0)
    # The pipeline's last_active_at already falls back to the sign-up time.
    last_active = features.last_active_at or features.created_at
    idle_days = _days_between(last_active, as_of)
    age_days = _days_between(features.created_at, as_of)

    def idle_for_at_least(days: int) -> bool:
        return last_active is not None and last_active <= as_of - timedelta(days=days)

    vip = deposit >= thresholds.vip_min_deposit_30d
    dormant_long = idle_for_at_least(thresholds.dormant_long_days)
    dormant_short = idle_for_at_least(thresholds.dormant_short_days)
    new = features.created_at is not None and features.created_at > as_of - timedelta(
        days=thresholds.new_user_days
    )
    return [
        {
            "rule": "vip",
            "segment": RULE_SEGMENTS["vip"],
            "test": f"deposits in the last {thresholds.vip_window_days} days "
            f">= {thresholds.vip_min_deposit_30d}",
            "value": deposit,
            "threshold": thresholds.vip_min_deposit_30d,
            "matched": vip,
        },
        {
            "rule": "dormant_long",
            "segment": RULE_SEGMENTS["dormant_long"],
            "test": f"days since last activity >= {thresholds.dormant_long_days}",
            "value": idle_days,
            "threshold": thresholds.dormant_long_days,
            "matched": dormant_long,
        },
        {
            "rule": "dormant_short",
            "segment": RULE_SEGMENTS["dormant_short"],
            "test": f"days since last activity >= {thresholds.dormant_short_days}",
            "value": idle_days,
            "threshold": thresholds.dormant_short_days,
            "matched": dormant_short,
        },
        {
            "rule": "new",
            "segment": RULE_SEGMENTS["new"],
            "test": f"days since sign-up < {thresholds.new_user_days}",
            "value": age_days,
            "threshold": thresholds.new_user_days,
            "matched": new,
        },
        {
            "rule": "active",
            "segment": RULE_SEGMENTS["active"],
            "test": "none of the rules above holds",
            "value": None,
            "threshold": None,
            "matched": not (vip or dormant_long or dormant_short or new),
        },
    ]


def summary(rule: str | None, checks: list[dict[str, Any]]) -> str:
    """One sentence an admin reads first."""
    if rule is None:
        return "Not segmented yet: the player joined after the last pipeline run."
    if rule == "override":
        return "Set by an admin override; the rules below are what would apply without it."
    decisive = next((check for check in checks if check["rule"] == rule), None)
    if decisive is None:
        return f"Decided by rule '{rule}'."
    if rule == "active":
        return "ACTIVE: none of the VIP, dormancy or new-player rules holds."
    return f"{decisive['segment']}: {decisive['test']} (value {decisive['value']})."


def explain(
    rule: str | None, features: PublishedFeatures | None, thresholds: Thresholds
) -> dict[str, Any]:
    """The `features` block of the user segment response."""
    checks = rule_checks(features, thresholds) if features is not None else []
    return {
        "summary": summary(rule, checks),
        "as_of": features.as_of if features else None,
        "deposit_30d": features.deposit_30d if features else None,
        "last_active_at": features.last_active_at if features else None,
        "created_at": features.created_at if features else None,
        "days_since_last_active": (
            _days_between(features.last_active_at, features.as_of) if features else None
        ),
        "days_since_created": (
            _days_between(features.created_at, features.as_of) if features else None
        ),
        "thresholds": thresholds.as_dict(),
        "rules": checks,
    }
