"""Per-client quotas at /token and /device_authorization (records/quotas.py), through the app.

RFC 6585 §4: over its limit a client gets 429 with Retry-After, in RFC 6749 §5.2 form.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from chalice.local import LambdaEventConverter

from tests.helpers.device import DEVICE_GRANT
from tests.helpers.forms import basic, post_form

GRANT = {"grant_type": "client_credentials"}


def token(http: Any, client: Any, secret: str | None) -> Any:
    return post_form(http, "/token", GRANT, basic(client.client_id, secret or ""))


def device_authorization(http: Any, client_id: str, headers: Any = None) -> Any:
    return post_form(http, "/device_authorization", {"client_id": client_id}, headers)


def from_source(monkeypatch: pytest.MonkeyPatch, ip: str) -> None:
    """Requests from here on come from `ip` (the sourceIp API Gateway would report)."""
    monkeypatch.setattr(LambdaEventConverter, "LOCAL_SOURCE_IP", ip)


def test_client_over_its_token_limit_gets_429_and_no_token_while_another_client_is_served(
    http, make_client, settings_env, clock, aws_calls
):
    """RFC 6585 §4 (429, Retry-After); RFC 6749 §5.2 body."""
    settings_env(TOKEN_RATE_PER_CLIENT="1", TOKEN_BURST_PER_CLIENT="3")
    looping, looping_secret = make_client(name="Looping")
    other, other_secret = make_client(name="Other")
    assert [token(http, looping, looping_secret).status_code for _ in range(3)] == [200] * 3
    aws_calls.clear()
    limited = token(http, looping, looping_secret)
    assert limited.status_code == 429
    assert limited.headers["Retry-After"] == "3"  # the rest of the 3-second window
    assert limited.headers["Cache-Control"] == "no-store"
    body = json.loads(limited.body)
    assert body["error"] == "temporarily_unavailable" and "access_token" not in body
    assert aws_calls == []  # nothing signed, and the container knew without asking DynamoDB
    assert token(http, other, other_secret).status_code == 200


def test_token_limit_window_refills(http, make_client, settings_env, clock):
    """RFC 6585 §4: the client may retry once Retry-After has passed."""
    settings_env(TOKEN_RATE_PER_CLIENT="1", TOKEN_BURST_PER_CLIENT="2")
    client, secret = make_client()
    assert [token(http, client, secret).status_code for _ in range(3)] == [200, 200, 429]
    clock.advance(2)
    assert token(http, client, secret).status_code == 200


def test_token_limit_counts_every_grant_of_the_client(http, make_client, settings_env, clock):
    settings_env(TOKEN_RATE_PER_CLIENT="1", TOKEN_BURST_PER_CLIENT="2")
    client, secret = make_client(grant_types=["client_credentials", "password"])
    for _ in range(2):
        token(http, client, secret)
    form = {"grant_type": "password", "username": "alice", "password": "guess"}
    response = post_form(http, "/token", form, basic(client.client_id, secret or ""))
    assert response.status_code == 429


def test_failed_client_authentication_spends_nothing_of_the_clients_quota(
    http, make_client, settings_env, clock
):
    """RFC 6749 §2.3: the limit is charged after client authentication, so a stranger
    without the secret cannot lock a confidential client out."""
    settings_env(TOKEN_RATE_PER_CLIENT="1", TOKEN_BURST_PER_CLIENT="2")
    client, secret = make_client()
    for _ in range(5):
        assert token(http, client, "wrong").status_code == 401
    assert token(http, client, secret).status_code == 200


def test_token_limit_is_shared_by_containers(http, make_client, settings_env, clock):
    """Each container adds its count once a batch is full (local share off)."""
    from chalicelib.records import quotas

    settings_env(
        TOKEN_RATE_PER_CLIENT="1",
        TOKEN_BURST_PER_CLIENT="4",
        TOKEN_RATE_BATCH="2",
        TOKEN_RATE_LOCAL_PERCENT="0",
    )
    client, secret = make_client()
    assert [token(http, client, secret).status_code for _ in range(2)] == [200, 200]
    quotas.reset_cache()  # a second container, which counted nothing itself
    assert [token(http, client, secret).status_code for _ in range(3)] == [200, 200, 429]


def test_a_container_past_its_local_share_adds_it_and_the_shared_counter_refuses_the_client(
    http, make_client, settings_env, clock
):
    """Local share 50% of a burst of 4: each container admits 2 on its own count, then adds
    them; the second container's addition reaches the burst, so the next request is refused
    with the rest of the window in Retry-After (RFC 6585 §4)."""
    from chalicelib.records import quotas

    settings_env(
        TOKEN_RATE_PER_CLIENT="1",
        TOKEN_BURST_PER_CLIENT="4",
        TOKEN_RATE_BATCH="1",
        TOKEN_RATE_LOCAL_PERCENT="50",
    )
    client, secret = make_client()
    assert [token(http, client, secret).status_code for _ in range(2)] == [200, 200]
    quotas.reset_cache()  # a second container
    statuses = [token(http, client, secret) for _ in range(3)]
    assert [r.status_code for r in statuses] == [200, 200, 429]
    assert json.loads(statuses[-1].body)["error"] == "temporarily_unavailable"
    assert statuses[-1].headers["Retry-After"] == "4"


def test_a_client_within_its_local_share_costs_no_dynamodb_call(
    http, make_client, settings_env, aws_calls
):
    """Default limits (burst 200, local share 25%): a container admits 50 tokens of a client
    per window on its own count; only the 50th adds them to the shared counter."""
    client, secret = make_client()
    assert token(http, client, secret).status_code == 200  # cold: the client record read
    aws_calls.clear()
    assert all(token(http, client, secret).status_code == 200 for _ in range(48))
    assert aws_calls == ["kms:Sign"] * 48
    aws_calls.clear()
    assert token(http, client, secret).status_code == 200  # the 50th: its window starts
    assert [c for c in aws_calls if c != "kms:Sign"] == ["dynamodb:UpdateItem"] * 2


def test_token_quota_costs_one_dynamodb_write_per_batch_of_tokens(
    http, make_client, settings_env, aws_calls
):
    settings_env(TOKEN_RATE_BATCH="10", TOKEN_RATE_LOCAL_PERCENT="0")
    client, secret = make_client()
    for _ in range(
        10
    ):  # warm, and the window started (a failed ADD, then the write that starts it)
        token(http, client, secret)
    aws_calls.clear()
    assert all(token(http, client, secret).status_code == 200 for _ in range(20))
    assert [c for c in aws_calls if c != "kms:Sign"] == ["dynamodb:UpdateItem"] * 2
    assert aws_calls.count("kms:Sign") == 20


def test_device_authorization_is_limited_per_client(http, make_client, settings_env, clock):
    """RFC 8628 §3.1 with RFC 6585 §4; a confidential client's limit holds from any source."""
    from chalicelib.models import DeviceCodeModel

    settings_env(DEVICE_AUTHORIZATION_RATE="1", DEVICE_AUTHORIZATION_BURST="2")
    client, secret = make_client(grant_types=[DEVICE_GRANT])
    other, _ = make_client(grant_types=[DEVICE_GRANT], public=True)
    auth = basic(client.client_id, secret or "")
    statuses = [device_authorization(http, client.client_id, auth).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    assert len(list(DeviceCodeModel.scan())) == 2  # the refused request created nothing
    assert device_authorization(http, other.client_id).status_code == 200
    clock.advance(2)
    assert device_authorization(http, client.client_id, auth).status_code == 200


def test_public_client_device_authorization_is_limited_per_source(
    http, device_client, settings_env, clock, monkeypatch
):
    """RFC 8628 §3.1: anyone may present a public client_id, so each source has its own
    budget and one stranger cannot lock every device of the app out."""
    settings_env(DEVICE_AUTHORIZATION_RATE="1", DEVICE_AUTHORIZATION_BURST="2")
    from_source(monkeypatch, "198.51.100.7")
    statuses = [device_authorization(http, device_client.client_id).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    from_source(monkeypatch, "203.0.113.9")
    assert device_authorization(http, device_client.client_id).status_code == 200


def test_device_authorization_limit_is_exact_across_containers(
    http, device_client, settings_env, clock
):
    from chalicelib.records import quotas

    settings_env(DEVICE_AUTHORIZATION_RATE="1", DEVICE_AUTHORIZATION_BURST="2")
    assert device_authorization(http, device_client.client_id).status_code == 200
    quotas.reset_cache()
    assert device_authorization(http, device_client.client_id).status_code == 200
    quotas.reset_cache()
    assert device_authorization(http, device_client.client_id).status_code == 429
