"""The scheduled function app.rotate_keys: one rotation tick per EventBridge event."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from chalice.test import Client as ChaliceClient

from tests.helpers.observed import JsonLogs, json_logs


@pytest.fixture
def logged() -> Iterator[JsonLogs]:
    """What the function writes to its log at the default LOG_LEVEL (no level set here)."""
    with json_logs() as logs:
        yield logs


def test_scheduled_rotate_keys_runs_a_tick_through_the_app_and_logs_one_summary(aws, clock, logged):
    from app import app

    clock.advance(30 * 86400)
    with ChaliceClient(app, stage_name="test") as client:
        event = client.events.generate_cw_event(
            source="aws.events", detail_type="Scheduled Event", detail={}, resources=[]
        )
        first = client.lambda_.invoke("rotate_keys", event).payload
        second = client.lambda_.invoke("rotate_keys", event).payload
    assert {entry["alg"] for entry in first["keys"] if entry["staged"]} == {"RS256", "ES256"}
    assert not any(entry["staged"] for entry in second["keys"])
    summaries = [line["message"] for line in logged.parsed()]
    assert summaries == [{"event": "key_rotation", **first}, {"event": "key_rotation", **second}]


def test_rotate_keys_is_scheduled_hourly():
    from app import app

    [function] = [f for f in app.event_sources if f.name == "rotate_keys"]
    assert function.schedule_expression.to_string() == "rate(1 hour)"
