"""Prometheus scrape endpoint."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from ingest.observability.metrics import REGISTRY
from ingest.observability.segment_lag import read_segment_lag, segment_lag_exposition

router = APIRouter(tags=["health"])


@router.get(
    "/metrics",
    summary=(
        "Prometheus metrics: requests by route and status, events by type and outcome, "
        "the published segments' lag behind ingest"
    ),
    response_class=Response,
    responses={200: {"content": {"text/plain": {}}}},
)
async def metrics() -> Response:
    lag = segment_lag_exposition(await read_segment_lag())
    return Response(generate_latest(REGISTRY) + lag, media_type=CONTENT_TYPE_LATEST)
