"""The scheduled function app.rotate_keys: one rotation tick per EventBridge event."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import pytest
from chalice.test import Client as ChaliceClient


class Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.lines: list[dict] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(json.loads(record.getMessage()))


@pytest.fixture
def logged() -> Iterator[Lines]:
    """What reaches the app's logger at INFO. Chalice stops it propagating to caplog and, as
    the app loads, sets it to ERROR (DESIGN.md, Facts): load the app first."""
    from app import app

    logger = app.log
    handler, level = Lines(), logger.level
    logger.setLevel(logging.INFO)
    logger.addHandler(handler)
    yield handler
    logger.removeHandler(handler)
    logger.setLevel(level)


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
    assert logged.lines == [{"event": "key_rotation", **first}, {"event": "key_rotation", **second}]


def test_rotate_keys_is_scheduled_hourly():
    from app import app

    [function] = [f for f in app.event_sources if f.name == "rotate_keys"]
    assert function.schedule_expression.to_string() == "rate(1 hour)"
