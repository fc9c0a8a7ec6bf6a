"""Alerts reach a real webhook receiver, with retries, and always leave a log line."""

from __future__ import annotations

import logging

import pytest

from orchestration.alerts import send_alert
from tests.support.webhook import WebhookReceiver


def test_alert_is_logged_and_posted_as_slack_json(
    webhook: WebhookReceiver, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="pulse.alerts"):
        delivered = send_alert(
            "run_failure",
            "run of segment_refresh failed",
            {"run_id": "r1"},
            webhook_url=webhook.url,
        )
    assert delivered
    assert '"kind": "run_failure"' in caplog.text and '"run_id": "r1"' in caplog.text
    [body] = webhook.bodies
    assert "segment_refresh failed" in str(body["text"])
    assert body["attachments"][0]["fields"] == [  # type: ignore[index]
        {"title": "run_id", "value": "r1", "short": True}
    ]


def test_alert_delivery_is_retried_after_server_errors(webhook: WebhookReceiver) -> None:
    webhook.statuses = [503, 500]
    delivered = send_alert(
        "check_failure", "x", {}, webhook_url=webhook.url, attempts=3, backoff_seconds=0.01
    )
    assert delivered and len(webhook.bodies) == 3


def test_alert_gives_up_after_the_last_attempt(webhook: WebhookReceiver) -> None:
    webhook.statuses = [500, 500, 500]
    delivered = send_alert("x", "x", {}, webhook_url=webhook.url, attempts=2, backoff_seconds=0.01)
    assert not delivered and len(webhook.bodies) == 2


def test_without_webhook_the_alert_is_only_logged(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.ERROR, logger="pulse.alerts"):
        assert send_alert("x", "only logged", {}, webhook_url=None)
    assert "only logged" in caplog.text
