"""One structured JSON log line and the HTTP metrics for every request.

A plain ASGI middleware (not BaseHTTPMiddleware) so that it adds microseconds, not a
task per request. The line carries method, route template, path, status, latency and
the caller's user id when a token was verified; headers (and so tokens) are never logged.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ingest.observability.metrics import HTTP_LATENCY, HTTP_REQUESTS

access_logger = logging.getLogger("pulse.access")


class JsonLineFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "ts": self.formatTime(record, "%Y-%m-%dT%H:%M:%S") + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        line.update(getattr(record, "fields", {}))
        return json.dumps(line, ensure_ascii=True, default=str)


def configure_access_log(level: str) -> None:
    """Send `pulse.access` lines to stdout as JSON, once per process."""
    if access_logger.handlers:
        return
    handler = logging.StreamHandler(sys.stdout)
    formatter = JsonLineFormatter()
    formatter.converter = time.gmtime
    handler.setFormatter(formatter)
    access_logger.addHandler(handler)
    access_logger.setLevel(level.upper())
    access_logger.propagate = False


class RequestObservabilityMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # what the client sees if the app fails before responding

        async def send_and_note_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_and_note_status)
        finally:
            elapsed = time.perf_counter() - started
            route = scope.get("route")
            route_path = getattr(route, "path", None) or "unmatched"
            method = scope["method"]
            status_label = str(status)
            HTTP_REQUESTS.labels(method, route_path, status_label).inc()
            HTTP_LATENCY.labels(method, route_path, status_label).observe(elapsed)
            if access_logger.isEnabledFor(logging.INFO):
                access_logger.info(
                    "request",
                    extra={
                        "fields": {
                            "method": method,
                            "route": route_path,
                            "path": scope["path"],
                            "status": status,
                            "latency_ms": round(elapsed * 1000, 3),
                            "user_id": scope.get("state", {}).get("user_id"),
                        }
                    },
                )
