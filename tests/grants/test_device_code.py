"""Polling /token with the device_code grant (RFC 8628 §3.4-3.5) against moto."""

from __future__ import annotations

import json

import jwt
import pytest

from tests.helpers.device import (
    DEVICE_GRANT,
    decide,
    expire,
    poll,
    rewind_last_poll,
    start_flow,
)
from tests.helpers.forms import post_form
from tests.helpers.oidc import left_half_sha256


@pytest.fixture
def flow(http, device_client):
    return start_flow(http, device_client.client_id)


def stored(device_code):
    from chalicelib.models import DeviceCodeModel
    from chalicelib.opaque import sha256_hex

    return DeviceCodeModel.get(sha256_hex(device_code), consistent_read=True)


def test_waiting_for_the_person_is_authorization_pending(http, device_client, flow):
    status, body = poll(http, device_client.client_id, flow["device_code"])
    assert (status, body["error"]) == (400, "authorization_pending")


def test_a_poll_after_the_interval_is_still_authorization_pending(http, device_client, flow):
    poll(http, device_client.client_id, flow["device_code"])
    rewind_last_poll(flow["device_code"], 5)
    assert poll(http, device_client.client_id, flow["device_code"])[1]["error"] == (
        "authorization_pending"
    )


def test_polling_faster_than_the_interval_is_slow_down_and_raises_it_by_5s(
    http, device_client, flow
):
    code = flow["device_code"]
    poll(http, device_client.client_id, code)
    status, body = poll(http, device_client.client_id, code)
    assert (status, body["error"]) == (400, "slow_down")
    assert stored(code).interval == 10


def test_slow_down_raises_the_interval_for_every_later_poll(http, device_client, flow):
    code = flow["device_code"]
    poll(http, device_client.client_id, code)
    poll(http, device_client.client_id, code)  # slow_down: interval 10
    # When the device waits the old 5 s (7 s) it is still too fast: slow_down, interval 15
    rewind_last_poll(code, 7)
    assert poll(http, device_client.client_id, code)[1]["error"] == "slow_down"
    assert stored(code).interval == 15
    # When it then waits the new interval, it is pending again and the interval stays
    rewind_last_poll(code, 15)
    assert poll(http, device_client.client_id, code)[1]["error"] == "authorization_pending"
    assert stored(code).interval == 15


def test_denied_is_access_denied_even_when_polled_too_fast(http, device_client, flow, user):
    decide(flow["user_code"], user.sub, approve=False)
    for _ in range(3):
        status, body = poll(http, device_client.client_id, flow["device_code"])
        assert (status, body["error"]) == (400, "access_denied")


def test_expired_is_expired_token_before_any_other_answer(http, device_client, flow, user):
    decide(flow["user_code"], user.sub, approve=False)
    expire(flow["device_code"])  # TTL has not deleted the record yet
    assert poll(http, device_client.client_id, flow["device_code"])[1]["error"] == ("expired_token")


def test_expired_approved_code_issues_nothing(http, device_client, flow, user):
    decide(flow["user_code"], user.sub)
    expire(flow["device_code"])
    assert poll(http, device_client.client_id, flow["device_code"])[1]["error"] == ("expired_token")


def test_approval_issues_an_access_token_for_the_approving_user(http, device_client, flow, user):
    poll(http, device_client.client_id, flow["device_code"])
    decide(flow["user_code"], user.sub)
    # the approval is answered at once, even right after the previous poll
    status, body = poll(http, device_client.client_id, flow["device_code"])
    assert status == 200, body
    assert body["token_type"] == "Bearer" and body["scope"] == "openid api:read"
    assert "refresh_token" not in body
    jwks = json.loads(http.get("/jwks.json").body)
    kid = jwt.get_unverified_header(body["access_token"])["kid"]
    key = jwt.PyJWK(next(k for k in jwks["keys"] if k["kid"] == kid))
    claims = jwt.decode(
        body["access_token"], key.key, algorithms=[key.algorithm_name],
        audience="urn:gatehouse:api", issuer="https://auth.test",
    )  # fmt: skip
    assert claims["sub"] == user.sub and claims["client_id"] == device_client.client_id
    assert claims["auth_time"] == 1_700_000_000


def test_tokens_are_issued_only_once(http, device_client, flow, user):
    decide(flow["user_code"], user.sub)
    assert poll(http, device_client.client_id, flow["device_code"])[0] == 200
    status, body = poll(http, device_client.client_id, flow["device_code"])
    assert (status, body["error"]) == (400, "invalid_grant")
    assert stored(flow["device_code"]).status == "issued"


def test_another_clients_device_code_is_rejected(http, make_client, device_client, flow, user):
    other, _ = make_client(name="Other TV", grant_types=[DEVICE_GRANT], public=True)
    decide(flow["user_code"], user.sub)
    status, body = poll(http, other.client_id, flow["device_code"])
    assert (status, body["error"]) == (400, "invalid_grant")
    # and the rightful client still gets its tokens
    assert poll(http, device_client.client_id, flow["device_code"])[0] == 200


def test_unknown_device_code_is_invalid_grant(http, device_client):
    assert poll(http, device_client.client_id, "not-a-code")[1]["error"] == "invalid_grant"


def test_missing_device_code_is_invalid_request(http, device_client):
    form = {"grant_type": DEVICE_GRANT, "client_id": device_client.client_id}
    assert json.loads(post_form(http, "/token", form).body)["error"] == "invalid_request"


def test_client_not_registered_for_the_grant_cannot_poll(http, make_client, flow):
    web, _ = make_client(name="Web", grant_types=["refresh_token"], public=True)
    assert poll(http, web.client_id, flow["device_code"])[1]["error"] == "unauthorized_client"


def test_user_disabled_after_approval_gets_no_tokens(http, device_client, flow, user):
    decide(flow["user_code"], user.sub)
    user.update(actions=[type(user).disabled.set(True)])
    assert poll(http, device_client.client_id, flow["device_code"])[1]["error"] == ("invalid_grant")


def test_openid_granted_adds_an_id_token_for_the_device_client(http, device_client, flow, user):
    decide(flow["user_code"], user.sub)
    body = poll(http, device_client.client_id, flow["device_code"])[1]
    jwks = json.loads(http.get("/jwks.json").body)
    kid = jwt.get_unverified_header(body["id_token"])["kid"]
    key = jwt.PyJWK(next(k for k in jwks["keys"] if k["kid"] == kid))
    claims = jwt.decode(
        body["id_token"], key.key, algorithms=["RS256"],
        audience=device_client.client_id, issuer="https://auth.test",
    )  # fmt: skip
    assert claims["sub"] == user.sub and claims["auth_time"] == 1_700_000_000
    assert claims["at_hash"] == left_half_sha256(body["access_token"])


def test_no_id_token_without_openid(http, device_client, user):
    flow = start_flow(http, device_client.client_id, scope="api:read")
    decide(flow["user_code"], user.sub)
    body = poll(http, device_client.client_id, flow["device_code"])[1]
    assert "access_token" in body and "id_token" not in body
