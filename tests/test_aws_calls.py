"""AWS calls per request, counted at botocore: issue 11's warm-path budgets, held exactly.

Warm means the container's caches are filled (client record, key set, the per-client
quota's local share). kms mode adds one kms:Sign per JWT a request issues; envelope mode
signs in the Lambda and makes no KMS call. Each test lists the calls in the order they are
made, so a call that comes back, or a write that moves before the signing, fails it.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.helpers.browser import Browser
from tests.helpers.device import poll, rewind_last_poll, start_flow
from tests.helpers.forms import basic, post_form
from tests.helpers.oidc import REDIRECT, answer, authorize, exchange, pkce_pair
from tests.helpers.tokens import offline_tokens, refresh

GRANT = {"grant_type": "client_credentials"}
GET, TRANSACT, UPDATE, SIGN = (
    "dynamodb:GetItem",
    "dynamodb:TransactWriteItems",
    "dynamodb:UpdateItem",
    "kms:Sign",
)
MODES = ["kms", "envelope"]


@pytest.fixture(params=MODES)
def signing_mode(request: pytest.FixtureRequest) -> str:
    if request.param == "envelope":
        request.getfixturevalue("envelope_mode")
    return request.param


def signs(mode: str, jwts: int) -> list[str]:
    return [SIGN] * jwts if mode == "kms" else []


def test_warm_client_credentials_request_makes_one_kms_sign_and_no_other_call(
    http, make_client, aws_calls, signing_mode
):
    client, secret = make_client()
    assert post_form(http, "/token", GRANT, basic(client.client_id, secret)).status_code == 200
    aws_calls.clear()
    for _ in range(20):  # within the client's local share of its quota: no DynamoDB write
        assert post_form(http, "/token", GRANT, basic(client.client_id, secret)).status_code == 200
    assert aws_calls == signs(signing_mode, 20)


def code_for_alice(http: Any, client: Any) -> tuple[str, str]:
    verifier, challenge = pkce_pair()
    params = {
        "response_type": "code", "client_id": client.client_id, "redirect_uri": REDIRECT,
        "scope": "openid offline_access api:read", "state": "s", "nonce": "n",
        "code_challenge": challenge, "code_challenge_method": "S256",
    }  # fmt: skip
    return answer(authorize(Browser(http), **params))["code"], verifier


def test_warm_code_exchange_reads_the_code_and_the_person_then_redeems_in_one_transaction(
    http, make_client, user, aws_calls, signing_mode
):
    """At most 3 DynamoDB calls: the code, the person by the username kept on it, and the
    redemption written with the new refresh family; no Query of the user by sub."""
    client, secret = make_client(
        name="Web app",
        grant_types=["authorization_code", "refresh_token"],
        redirect_uris=[REDIRECT],
        scope="openid offline_access api:read",
    )
    warm_up, verifier = code_for_alice(http, client)
    assert exchange(http, client, secret, warm_up, code_verifier=verifier).status_code == 200
    code, verifier = code_for_alice(http, client)
    aws_calls.clear()
    response = exchange(http, client, secret, code, code_verifier=verifier)
    assert response.status_code == 200, response.body
    assert {"access_token", "id_token", "refresh_token"} <= set(json.loads(response.body))
    assert aws_calls == [GET, GET, *signs(signing_mode, 2), TRANSACT]


def test_warm_refresh_reads_the_token_then_rotates_in_one_transaction(
    http, app, user, aws_calls, signing_mode
):
    """At most 2 DynamoDB calls: the token, and the rotation that also checks the family
    and the person; neither the family nor the user is read first."""
    first = offline_tokens(http, app)
    second = refresh(http, app, first["refresh_token"])
    assert second.status_code == 200, second.body
    aws_calls.clear()
    third = refresh(http, app, json.loads(second.body)["refresh_token"])
    assert third.status_code == 200, third.body
    assert aws_calls == [GET, *signs(signing_mode, 1), TRANSACT]


def test_warm_pending_device_poll_reads_the_code_and_stamps_the_poll(
    http, device_client, aws_calls, signing_mode
):
    flow = start_flow(http, device_client.client_id)
    assert poll(http, device_client.client_id, flow["device_code"])[0] == 400
    rewind_last_poll(flow["device_code"], flow["interval"])
    aws_calls.clear()
    status, body = poll(http, device_client.client_id, flow["device_code"])
    assert (status, body["error"]) == (400, "authorization_pending")
    assert aws_calls == [GET, UPDATE]


def test_client_record_is_read_again_after_the_cache_expires(
    http, make_client, aws_calls, monkeypatch
):
    from chalicelib.records import clients

    client, secret = make_client()
    post_form(http, "/token", GRANT, basic(client.client_id, secret))
    aws_calls.clear()
    later = clients.time.monotonic() + 61  # default CLIENT_CACHE_SECONDS is 60
    monkeypatch.setattr(clients.time, "monotonic", lambda: later)
    assert post_form(http, "/token", GRANT, basic(client.client_id, secret)).status_code == 200
    assert aws_calls == [GET, SIGN]


def test_deleted_client_is_refused_once_its_cache_entry_expires(
    http, make_client, aws_calls, monkeypatch
):
    from chalicelib.models import ClientModel
    from chalicelib.records import clients

    client, secret = make_client()
    post_form(http, "/token", GRANT, basic(client.client_id, secret))
    ClientModel(client_id=client.client_id).delete()
    later = clients.time.monotonic() + 61
    monkeypatch.setattr(clients.time, "monotonic", lambda: later)
    assert post_form(http, "/token", GRANT, basic(client.client_id, secret)).status_code == 401
