"""The published segments' lag behind ingest, read from the database at each scrape.

`pulse_segment_lag_seconds` is the age of the oldest activity event or deposit
snapshot stored after the published run's `as_of` (0 when everything stored is
published); `pulse_segment_published_as_of_seconds` is that `as_of` (absent before the
first publication). Both come from one read of indexed columns (`pulse/freshness.py`),
so every server process reports the same values. When the database cannot be read the
two are left out of the scrape rather than reported stale.
"""

from __future__ import annotations

import logging

from prometheus_client import CollectorRegistry, Gauge, generate_latest
from sqlalchemy.exc import SQLAlchemyError

from ingest.db import get_async_engine
from pulse.freshness import Unpublished, read_unpublished

logger = logging.getLogger("pulse.metrics")


async def read_segment_lag() -> Unpublished | None:
    try:
        async with get_async_engine().connect() as connection:
            return await connection.run_sync(read_unpublished)
    except SQLAlchemyError as error:
        logger.warning("segment lag not reported: %s", str(error).splitlines()[0])
        return None


def segment_lag_exposition(unpublished: Unpublished | None) -> bytes:
    """The lag gauges in Prometheus' text format (nothing when `unpublished` is None)."""
    if unpublished is None:
        return b""
    registry = CollectorRegistry()
    Gauge(
        "pulse_segment_lag_seconds",
        "Age of the oldest activity event or deposit snapshot not yet in the published "
        "segments (received after the published run's as_of); 0 when there is none.",
        registry=registry,
    ).set(unpublished.lag_seconds)
    if unpublished.published_as_of is not None:
        Gauge(
            "pulse_segment_published_as_of_seconds",
            "The moment the published segments were evaluated at (Unix time).",
            registry=registry,
        ).set(unpublished.published_as_of.timestamp())
    return generate_latest(registry)
