"""Alerts: one structured log line always, and a Slack-compatible POST when configured.

The webhook receives `{"text": ..., "attachments": [...]}`, which Slack, Mattermost
and most chat tools accept. Delivery is retried with backoff because a missed
alert about a failed refresh is worse than a duplicate one.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import httpx

logger = logging.getLogger("pulse.alerts")

RETRYABLE_STATUS = {408, 425, 429, 500, 502, 503, 504}


def root_cause_line(error: Any) -> str:
    """First line of the innermost error of a Dagster `SerializableErrorInfo`.

    Dagster wraps the error that matters (a dbt failure summary, the overlap guard's
    message) in step-execution errors whose text says nothing.
    """
    while error.cause is not None:
        error = error.cause
    lines = (error.message or error.cls_name or "unknown error").strip().splitlines()
    first = lines[0] if lines else "unknown error"
    # Messages start with the exception's dotted class name; the reader needs the text.
    return first.split(f"{error.cls_name}: ", 1)[-1]


def alert_payload(title: str, fields: Mapping[str, str]) -> dict[str, object]:
    """The Slack-compatible message body for one alert."""
    return {
        "text": f":rotating_light: Pulse: {title}",
        "attachments": [
            {
                "color": "danger",
                "fields": [
                    {"title": name, "value": value, "short": len(value) < 40}
                    for name, value in fields.items()
                ],
            }
        ],
    }


def send_alert(
    kind: str,
    title: str,
    fields: Mapping[str, str],
    *,
    webhook_url: str | None,
    attempts: int = 3,
    backoff_seconds: float = 0.5,
) -> bool:
    """Log the alert, then POST it to `webhook_url` if set. True when delivered (or logged only)."""
    record = {
        "event": "pulse.alert",
        "kind": kind,
        "title": title,
        "at": datetime.now(UTC).isoformat(),
        **fields,
    }
    logger.error(json.dumps(record, sort_keys=True, default=str))
    if not webhook_url:
        return True
    payload = alert_payload(title, fields)
    for attempt in range(1, attempts + 1):
        try:
            response = httpx.post(webhook_url, json=payload, timeout=10.0)
            if response.status_code < 300:
                return True
            retryable = response.status_code in RETRYABLE_STATUS
            problem = f"HTTP {response.status_code}"
        except httpx.HTTPError as error:
            retryable = True
            problem = f"{type(error).__name__}: {error}"
        logger.warning(
            json.dumps(
                {
                    "event": "pulse.alert_delivery_failed",
                    "kind": kind,
                    "attempt": attempt,
                    "problem": problem,
                }
            )
        )
        if not retryable or attempt == attempts:
            break
        time.sleep(backoff_seconds * 2 ** (attempt - 1))
    return False
