"""What a device and the /device page do in the device-flow tests (RFC 8628)."""

from __future__ import annotations

import json
from typing import Any

from tests.helpers.forms import post_form

DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"


def start_flow(http: Any, client_id: str, **extra: str) -> dict[str, Any]:
    response = post_form(http, "/device_authorization", {"client_id": client_id, **extra})
    assert response.status_code == 200, response.body
    return json.loads(response.body)


def decide(user_code: str, sub: str, *, approve: bool = True) -> None:
    """What the /device page does once the person decides (our real code, no mock)."""
    from chalicelib.records import device_codes, user_codes

    record = device_codes.find_pending(user_codes.require(user_code))
    assert record is not None
    device_codes.decide(record, approve=approve, sub=sub, auth_time=1_700_000_000)


def poll(http: Any, client_id: str, device_code: str) -> tuple[int, dict[str, Any]]:
    form = {"grant_type": DEVICE_GRANT, "device_code": device_code, "client_id": client_id}
    response = post_form(http, "/token", form)
    return response.status_code, json.loads(response.body)


def rewind_last_poll(device_code: str, seconds: float) -> None:
    """Given the previous poll happened `seconds` earlier (moves the record, not the clock)."""
    from chalicelib.models import DeviceCodeModel
    from chalicelib.opaque import sha256_hex

    record = DeviceCodeModel.get(sha256_hex(device_code))
    record.update(actions=[DeviceCodeModel.last_poll_at.set(record.last_poll_at - seconds)])


def expire(device_code: str) -> None:
    """Given the code's lifetime has passed (TTL has not deleted it yet)."""
    import time

    from chalicelib.models import DeviceCodeModel
    from chalicelib.opaque import sha256_hex

    record = DeviceCodeModel.get(sha256_hex(device_code))
    record.update(actions=[DeviceCodeModel.expires_at.set(int(time.time()) - 1)])
