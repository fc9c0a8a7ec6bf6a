"""How far the published segments lag behind ingest: reported every minute, alerted once.

The sensor `segment_lag_alert` reads the age of the oldest activity event or deposit
snapshot not yet in the published segments (`pulse/freshness.py`) every
LAG_TICK_SECONDS. Each tick records it as an observation of `analytics/user_segment`
(its metadata `lag_seconds`, `oldest_pending_at`, `published_as_of` chart in the asset's
page in the UI) and says it in the tick's text.

When the lag exceeds PULSE_SEGMENT_LAG_ALERT_SECONDS it alerts once (log line and
webhook, `orchestration/alerts.py`) and stays quiet while the episode lasts; the
sensor's cursor remembers the episode, so a daemon restart does not alert again. Once
the lag is back under the limit, the next excess is a new episode and alerts again.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime

from dagster import (
    AssetObservation,
    DefaultSensorStatus,
    MetadataValue,
    SensorDefinition,
    SensorEvaluationContext,
    SensorResult,
    sensor,
)

from orchestration.alerts import send_alert
from orchestration.checks import USER_SEGMENT_KEY
from orchestration.config import OrchestrationSettings
from orchestration.resources import PulseDatabase
from pulse.freshness import Unpublished, read_unpublished

LAG_ALERT_SENSOR = "segment_lag_alert"
LAG_TICK_SECONDS = 60

logger = logging.getLogger("pulse.alerts")


def _moment(value: datetime | None) -> str:
    return value.isoformat() if value is not None else "none"


def lag_observation(unpublished: Unpublished, limit_seconds: int) -> AssetObservation:
    metadata: dict[str, MetadataValue] = {
        "lag_seconds": MetadataValue.float(round(unpublished.lag_seconds, 1)),
        "lag_alert_seconds": MetadataValue.int(limit_seconds),
        "oldest_pending_at": MetadataValue.text(_moment(unpublished.oldest_pending_at)),
        "published_as_of": MetadataValue.text(_moment(unpublished.published_as_of)),
    }
    return AssetObservation(asset_key=USER_SEGMENT_KEY, metadata=metadata)


def build_lag_alert_sensor(settings: OrchestrationSettings) -> SensorDefinition:
    limit = settings.pulse_segment_lag_alert_seconds

    @sensor(
        name=LAG_ALERT_SENSOR,
        minimum_interval_seconds=LAG_TICK_SECONDS,
        default_status=DefaultSensorStatus.RUNNING,
        description=(
            "Records the published segments' lag behind ingest on analytics/user_segment; "
            "alerts once per episode over PULSE_SEGMENT_LAG_ALERT_SECONDS."
        ),
    )
    def segment_lag_alert(
        context: SensorEvaluationContext, database: PulseDatabase
    ) -> SensorResult:
        with database.connect() as connection:
            unpublished = read_unpublished(connection)
        lag = unpublished.lag_seconds
        episode = json.loads(context.cursor) if context.cursor else {}
        alerted_at = episode.get("alerted_at")
        over = limit > 0 and lag > limit
        if over and alerted_at is None:
            send_alert(
                "segment_lag",
                f"published segments are {lag:.0f} s behind ingest",
                {
                    "lag_seconds": f"{lag:.0f}",
                    "limit_seconds": str(limit),
                    "oldest_pending_at": _moment(unpublished.oldest_pending_at),
                    "published_as_of": _moment(unpublished.published_as_of),
                    "published_computed_at": _moment(unpublished.published_computed_at),
                },
                webhook_url=settings.alert_webhook_url,
                attempts=settings.alert_webhook_attempts,
            )
            alerted_at = unpublished.checked_at.isoformat()
            verdict = "over the limit: alerted"
        elif over:
            verdict = f"over the limit since the alert at {alerted_at}"
        else:
            if alerted_at is not None:
                logger.warning(
                    json.dumps(
                        {
                            "event": "pulse.segment_lag_recovered",
                            "lag_seconds": round(lag, 1),
                            "alerted_at": alerted_at,
                        }
                    )
                )
            alerted_at = None
            verdict = "within the limit" if limit > 0 else "alert off"
        return SensorResult(
            skip_reason=f"lag {lag:.0f} s (limit {limit} s, {verdict}); {unpublished.reason()}",
            cursor=json.dumps({"alerted_at": alerted_at}),
            asset_events=[lag_observation(unpublished, limit)],
        )

    return segment_lag_alert
