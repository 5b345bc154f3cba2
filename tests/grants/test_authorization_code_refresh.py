"""Where sign-in meets long-lived access: refresh tokens from codes, and what a replay revokes."""

from __future__ import annotations

import json
from typing import Any

import jwt
import pytest

from tests.helpers.browser import Browser
from tests.helpers.forms import basic, post_form
from tests.helpers.oidc import REDIRECT, answer, authorize, exchange


@pytest.fixture
def offline_app(make_client: Any, make_user: Any) -> tuple[Any, str]:
    make_user()
    return make_client(
        name="Mail app",
        grant_types=["authorization_code", "refresh_token"],
        redirect_uris=[REDIRECT],
        scope="openid profile offline_access",
    )


def code_for(http: Any, client: Any, scope: str) -> str:
    params = {"response_type": "code", "client_id": client.client_id,
              "redirect_uri": REDIRECT, "scope": scope, "state": "s"}  # fmt: skip
    return answer(authorize(Browser(http), **params))["code"]


def refresh(http: Any, client: Any, secret: str, token: str) -> Any:
    form = {"grant_type": "refresh_token", "refresh_token": token}
    return post_form(http, "/token", form, basic(client.client_id, secret))


def userinfo(http: Any, access_token: str) -> int:
    return http.get("/userinfo", headers={"Authorization": f"Bearer {access_token}"}).status_code


def test_code_with_offline_access_returns_a_refresh_token(http, offline_app):
    client, secret = offline_app
    body = json.loads(
        exchange(http, client, secret, code_for(http, client, "openid offline_access")).body
    )
    assert body["refresh_token"] and body["scope"] == "openid offline_access"
    assert refresh(http, client, secret, body["refresh_token"]).status_code == 200


def test_code_without_offline_access_returns_no_refresh_token(http, offline_app):
    client, secret = offline_app
    body = json.loads(exchange(http, client, secret, code_for(http, client, "openid profile")).body)
    assert "refresh_token" not in body


def test_refresh_of_an_openid_grant_returns_an_id_token_with_the_same_sub_and_auth_time(
    http, offline_app
):
    client, secret = offline_app
    first = json.loads(
        exchange(http, client, secret, code_for(http, client, "openid offline_access")).body
    )
    again = json.loads(refresh(http, client, secret, first["refresh_token"]).body)
    original = jwt.decode(first["id_token"], options={"verify_signature": False})
    fresh = jwt.decode(again["id_token"], options={"verify_signature": False})
    assert (fresh["sub"], fresh["auth_time"], fresh["aud"]) == (
        original["sub"], original["auth_time"], client.client_id,
    )  # fmt: skip
    assert "nonce" not in fresh and fresh["at_hash"]


def test_code_replay_revokes_the_refresh_family_and_its_access_tokens(http, offline_app):
    client, secret = offline_app
    code = code_for(http, client, "openid offline_access")
    first = json.loads(exchange(http, client, secret, code).body)
    rotated = json.loads(refresh(http, client, secret, first["refresh_token"]).body)
    assert userinfo(http, rotated["access_token"]) == 200

    replay = exchange(http, client, secret, code)

    assert json.loads(replay.body)["error"] == "invalid_grant"
    assert json.loads(refresh(http, client, secret, rotated["refresh_token"]).body)["error"] == (
        "invalid_grant"
    )
    assert userinfo(http, first["access_token"]) == 401
    assert userinfo(http, rotated["access_token"]) == 401


def test_revoked_access_token_is_refused_by_userinfo(http, offline_app):
    client, secret = offline_app
    body = json.loads(exchange(http, client, secret, code_for(http, client, "openid")).body)
    assert userinfo(http, body["access_token"]) == 200
    form = {"token": body["access_token"], "token_type_hint": "access_token"}
    assert post_form(http, "/revoke", form, basic(client.client_id, secret)).status_code == 200
    response = http.get("/userinfo", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert response.status_code == 401
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]


def test_password_grant_with_openid_returns_an_id_token(http, make_client, make_user):
    user = make_user()
    client, secret = make_client(grant_types=["password"], scope="openid api:read")
    form = {"grant_type": "password", "username": "alice",
            "password": "correct horse battery", "scope": "openid api:read"}  # fmt: skip
    body = json.loads(post_form(http, "/token", form, basic(client.client_id, secret)).body)
    claims = jwt.decode(body["id_token"], options={"verify_signature": False})
    assert claims["sub"] == user.sub and claims["aud"] == client.client_id


def test_a_request_that_loses_the_redemption_race_stores_no_refresh_family(http, offline_app):
    """Two requests read the same unused code, then both mint; the redemption is written in
    the transaction that creates the refresh family, so the loser leaves nothing behind."""
    from chalicelib.grants.common import mint
    from chalicelib.models import RefreshFamilyModel, RefreshTokenModel
    from chalicelib.records import authorization_codes, clients

    client, _ = offline_app
    code = code_for(http, client, "openid offline_access")
    registered = clients.get_client(client.client_id)
    first, second = (authorization_codes.find(code, registered) for _ in range(2))

    def minted_for(record):
        return mint(
            registered, sub=record.sub, scope=record.scope, audience="urn:gatehouse:api",
            auth_time=int(record.auth_time), username=record.username,
            redeem=lambda access, family: authorization_codes.redemption(
                record, [access.jti], access.exp, family
            ),
        )  # fmt: skip

    winner, loser = minted_for(first), minted_for(second)
    assert winner.redeemed and winner.refresh_token
    assert not loser.redeemed and loser.refresh_token is None
    assert [f.family_id for f in RefreshFamilyModel.scan()] == [winner.new_family]
    assert RefreshTokenModel.count() == 1
    stored = authorization_codes.reread(first)
    assert stored.refresh_family_id == winner.new_family
    assert stored.issued_jtis == [winner.access.jti]
