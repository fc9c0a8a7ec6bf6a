"""Alerts: one structured log line always, and a Slack-compatible POST when configured;
and the one-line reason a failed run gives an operator.

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

from orchestration.published import NOTHING_PUBLISHED

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


def failure_reason(result: Any, outcome: str) -> str:
    """One line saying why a run failed and, as checked, what it did to the published
    relations (`outcome`, from orchestration.published)."""
    failed_checks = sorted(
        {
            evaluation.check_name
            for evaluation in (
                event.event_specific_data
                for event in result.all_events
                if event.event_type_value == "ASSET_CHECK_EVALUATION"
            )
            if not evaluation.passed
        }
    )
    step_errors = [
        root_cause_line(event.event_specific_data.error)
        for event in result.all_events
        if event.is_step_failure and event.event_specific_data.error
    ]
    # The step's own error says why (dbt failure summary, overlap guard, connection);
    # failed checks are added because non-blocking ones (freshness) do not fail a run.
    cause = step_errors[0] if step_errors else "see the run in the Dagster UI"
    # The dbt step reports what it published, checked like `outcome`: said once.
    cause = cause.split(f"; {NOTHING_PUBLISHED}", 1)[0]
    if failed_checks:
        names = ", ".join(failed_checks[:5]) + (" ..." if len(failed_checks) > 5 else "")
        cause += f"; failed checks: {names}"
    return f"segment refresh failed (run {result.run_id}): {cause}; {outcome}"


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
