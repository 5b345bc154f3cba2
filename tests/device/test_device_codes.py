"""Device code records: the person's decision is taken once and only while live."""

from __future__ import annotations

import pytest

from tests.device.conftest import decide, expire, start_flow


def test_a_second_decision_on_the_same_code_fails(http, device_client, user):
    from chalicelib import device_codes
    from chalicelib.errors import InvalidGrant

    flow = start_flow(http, device_client.client_id)
    record = device_codes.find_pending(flow["user_code"].replace("-", ""))
    device_codes.decide(record, approve=True, sub=user.sub, auth_time=1)
    with pytest.raises(InvalidGrant):
        device_codes.decide(record, approve=False, sub="someone-else", auth_time=2)
    assert device_codes.find_pending(flow["user_code"].replace("-", "")) is None


def test_a_decided_code_can_no_longer_be_found(http, device_client, user):
    from chalicelib import device_codes

    flow = start_flow(http, device_client.client_id)
    decide(flow["user_code"], user.sub, approve=False)
    assert device_codes.find_pending(flow["user_code"].replace("-", "")) is None


def test_an_expired_code_cannot_be_found_or_approved(http, device_client, user):
    from chalicelib import device_codes
    from chalicelib.errors import InvalidGrant

    flow = start_flow(http, device_client.client_id)
    record = device_codes.find_pending(flow["user_code"].replace("-", ""))
    expire(flow["device_code"])
    assert device_codes.find_pending(flow["user_code"].replace("-", "")) is None
    with pytest.raises(InvalidGrant):
        device_codes.decide(record, approve=True, sub=user.sub, auth_time=1)


def test_approval_is_bound_to_the_approving_user(http, device_client, user):
    from chalicelib.models import DeviceCodeModel
    from chalicelib.tokens import sha256_hex

    flow = start_flow(http, device_client.client_id)
    decide(flow["user_code"], user.sub)
    record = DeviceCodeModel.get(sha256_hex(flow["device_code"]))
    assert (record.status, record.sub) == ("approved", user.sub)
