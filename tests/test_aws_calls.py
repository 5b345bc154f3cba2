"""AWS calls per request, counted at botocore: a warm client_credentials token is one KMS Sign."""

from __future__ import annotations

from tests.helpers.forms import basic, post_form

GRANT = {"grant_type": "client_credentials"}


def test_warm_client_credentials_request_makes_exactly_one_aws_call(http, make_client, aws_calls):
    client, secret = make_client()
    assert post_form(http, "/token", GRANT, basic(client.client_id, secret)).status_code == 200
    aws_calls.clear()
    assert post_form(http, "/token", GRANT, basic(client.client_id, secret)).status_code == 200
    assert aws_calls == ["kms:Sign"]


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
    assert aws_calls == ["dynamodb:GetItem", "kms:Sign"]


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
