"""How old the published segments may be before the admin API calls them stale.

The same setting, `PULSE_SEGMENT_MAX_AGE_MINUTES` (`pulse.settings`), sets the
pipeline's freshness check, so the console's "fresh/stale" label and the
orchestration's alert agree.
"""

from __future__ import annotations

from pulse.settings import get_settings


def segment_max_age_seconds() -> int:
    return get_settings().pulse_segment_max_age_minutes * 60
