"""RFC 7592 client configuration at `registration_client_uri`: read, update and delete with
the registration access token (rotated on every use), and nothing without it."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.endpoints.test_register import MCP, body, metadata, post_json


@pytest.fixture
def registered(http: Any, settings_env: Any) -> dict[str, Any]:
    from chalicelib.records.resources import create_resource

    settings_env(REGISTRATION="open")
    create_resource(MCP, "tools:call", open=True)
    response = post_json(http, "/register", metadata())
    assert response.status_code == 201
    return body(response)


def call(http: Any, method: str, info: dict[str, Any], token: str | None, doc: Any = None) -> Any:
    headers = {"Content-Type": "application/json"}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    path = f"/register/{info['client_id']}"
    payload = json.dumps(doc) if doc is not None else None
    return getattr(http, method)(path, headers=headers, body=payload)


def test_read_answers_the_metadata_and_rotates_the_registration_token(http, registered):
    first = call(http, "get", registered, registered["registration_access_token"])
    assert first.status_code == 200, first.body
    read = body(first)
    assert read["client_id"] == registered["client_id"]
    assert read["redirect_uris"] == registered["redirect_uris"]
    assert read["registration_access_token"] != registered["registration_access_token"]
    again = call(http, "get", registered, registered["registration_access_token"])
    assert again.status_code == 401  # the old token stopped working
    assert call(http, "get", registered, read["registration_access_token"]).status_code == 200


@pytest.mark.parametrize("token", [None, "wrong", ""])
def test_no_or_a_wrong_token_is_401_and_changes_nothing(http, registered, token):
    from chalicelib.records.clients import get_client

    for method in ("get", "put", "delete"):
        response = call(http, method, registered, token, metadata(client_name="Evil"))
        assert response.status_code == 401, (method, response.body)
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert get_client(registered["client_id"]).name == "Claude Code"


def test_another_clients_token_does_not_manage_this_one(http, registered):
    other = body(post_json(http, "/register", metadata(client_name="Other")))
    response = call(http, "delete", registered, other["registration_access_token"])
    assert response.status_code == 401


def test_update_replaces_the_metadata_under_the_same_policy(http, registered):
    from chalicelib.records.clients import get_client

    token = registered["registration_access_token"]
    changed = metadata(client_id=registered["client_id"], client_name="Renamed",
                       redirect_uris=["https://app.example/cb"])  # fmt: skip
    response = call(http, "put", registered, token, changed)
    assert response.status_code == 200, response.body
    client = get_client(registered["client_id"])
    assert client.name == "Renamed" and client.redirect_uris == ("https://app.example/cb",)
    token = body(response)["registration_access_token"]
    widened = metadata(client_id=registered["client_id"], grant_types=["client_credentials"])
    refused = call(http, "put", registered, token, widened)
    assert refused.status_code == 400 and body(refused)["error"] == "invalid_client_metadata"
    assert get_client(registered["client_id"]).grant_types == ("authorization_code",)
    assert call(http, "put", registered, token, {**changed, "client_id": "x"}).status_code == 400


def test_delete_removes_the_client(http, registered):
    from chalicelib.records.clients import get_client

    response = call(http, "delete", registered, registered["registration_access_token"])
    assert response.status_code == 204
    assert get_client(registered["client_id"]) is None
    gone = call(http, "get", registered, registered["registration_access_token"])
    assert gone.status_code == 401


def test_racing_updates_with_one_token_let_exactly_one_through(http, registered):
    """The token is rotated by a write conditioned on its old hash: of two parallel uses of
    one token, one wins and the other is refused."""
    from chalicelib.records import dynamic_registration
    from tests.helpers.races import atomic_moto_dynamodb, race

    token = registered["registration_access_token"]

    def use() -> str:
        try:
            return dynamic_registration.read(registered["client_id"], token)["client_id"]
        except Exception as exc:
            return type(exc).__name__

    with atomic_moto_dynamodb():
        results = race([use] * 8)
    assert sorted(results).count(registered["client_id"]) == 1
    assert set(results) - {registered["client_id"]} == {"InvalidToken"}
