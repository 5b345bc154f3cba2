"""Device code records: the person's decision is taken once and only while live."""

from __future__ import annotations

import pytest

from tests.helpers.device import decide, expire, start_flow


def test_a_second_decision_on_the_same_code_fails(http, device_client, user):
    from chalicelib.errors import InvalidGrant
    from chalicelib.records import device_codes

    flow = start_flow(http, device_client.client_id)
    record = device_codes.find_pending(flow["user_code"].replace("-", ""))
    device_codes.decide(record, approve=True, sub=user.sub, auth_time=1)
    with pytest.raises(InvalidGrant):
        device_codes.decide(record, approve=False, sub="someone-else", auth_time=2)
    assert device_codes.find_pending(flow["user_code"].replace("-", "")) is None


def test_a_decided_code_can_no_longer_be_found(http, device_client, user):
    from chalicelib.records import device_codes

    flow = start_flow(http, device_client.client_id)
    decide(flow["user_code"], user.sub, approve=False)
    assert device_codes.find_pending(flow["user_code"].replace("-", "")) is None


def test_an_expired_code_cannot_be_found_or_approved(http, device_client, user):
    from chalicelib.errors import InvalidGrant
    from chalicelib.records import device_codes

    flow = start_flow(http, device_client.client_id)
    record = device_codes.find_pending(flow["user_code"].replace("-", ""))
    expire(flow["device_code"])
    assert device_codes.find_pending(flow["user_code"].replace("-", "")) is None
    with pytest.raises(InvalidGrant):
        device_codes.decide(record, approve=True, sub=user.sub, auth_time=1)


def test_approval_is_bound_to_the_approving_user(http, device_client, user):
    from chalicelib.models import DeviceCodeModel
    from chalicelib.opaque import sha256_hex

    flow = start_flow(http, device_client.client_id)
    decide(flow["user_code"], user.sub)
    record = DeviceCodeModel.get(sha256_hex(flow["device_code"]))
    assert (record.status, record.sub) == ("approved", user.sub)


def test_device_code_expiry_follows_the_one_clock_to_the_second(http, device_client, clock):
    # Given a device code started at a frozen instant
    from chalicelib.config import get_settings
    from tests.helpers.device import poll

    flow = start_flow(http, device_client.client_id)
    lifetime = get_settings().device_code_lifetime
    # When the clock stands one second before its lifetime ends, it is still pending
    clock.advance(lifetime - 1)
    assert poll(http, device_client.client_id, flow["device_code"])[1]["error"] in {
        "authorization_pending",
        "slow_down",
    }
    # Then at its lifetime it has expired, though no record was touched
    clock.advance(1)
    status, body = poll(http, device_client.client_id, flow["device_code"])
    assert (status, body["error"]) == (400, "expired_token")


def test_polls_are_paced_by_the_one_clock(http, device_client, clock):
    from tests.helpers.device import poll

    flow = start_flow(http, device_client.client_id)
    interval = flow["interval"]
    assert poll(http, device_client.client_id, flow["device_code"])[1]["error"] == (
        "authorization_pending"
    )
    clock.advance(interval - 1)
    assert poll(http, device_client.client_id, flow["device_code"])[1]["error"] == "slow_down"
    clock.advance(interval + 5)  # slow_down added 5 s to the interval (RFC 8628 §3.5)
    assert poll(http, device_client.client_id, flow["device_code"])[1]["error"] == (
        "authorization_pending"
    )
