"""The Prometheus metrics the API exports at `/metrics`.

Counters live in one registry per process; with several uvicorn workers each
worker reports its own numbers (scrape each, or run one worker per container).
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram

REGISTRY = CollectorRegistry()

HTTP_REQUESTS = Counter(
    "pulse_http_requests_total",
    "HTTP requests served, by method, route template and status code.",
    ["method", "route", "status"],
    registry=REGISTRY,
)
HTTP_LATENCY = Histogram(
    "pulse_http_request_duration_seconds",
    "Time from request start to the end of the response, by route and status.",
    ["method", "route", "status"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
    registry=REGISTRY,
)
EVENTS = Counter(
    "pulse_events_total",
    "Activity events by type and outcome (accepted, duplicate, rejected).",
    ["event_type", "outcome"],
    registry=REGISTRY,
)

# Rejected events whose type could not be read are counted under this label.
UNKNOWN_EVENT_TYPE = "unknown"


def count_event(event_type: str, outcome: str, amount: int = 1) -> None:
    EVENTS.labels(event_type=event_type, outcome=outcome).inc(amount)
