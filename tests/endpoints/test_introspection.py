"""POST /introspect, RFC 7662."""

from __future__ import annotations

from typing import Any

import jwt

from tests.helpers import forged
from tests.helpers.forms import post_form
from tests.helpers.tokens import App, body, introspect, offline_tokens, refresh


def test_active_access_token_is_described(http: Any, user: Any, app: App) -> None:
    access = offline_tokens(http, app)["access_token"]
    answer = introspect(http, app, access)
    claims = jwt.decode(access, options={"verify_signature": False})
    assert answer["active"] is True
    for name in ("scope", "client_id", "sub", "aud", "iss", "exp", "iat", "jti"):
        assert answer[name] == claims[name]
    assert answer["token_type"] == "Bearer"
    assert answer["sub"] == user.sub and answer["iss"] == "https://auth.test"


def test_active_refresh_token_is_described_to_its_client(http: Any, user: Any, app: App) -> None:
    issued = offline_tokens(http, app)
    answer = introspect(http, app, issued["refresh_token"], token_type_hint="refresh_token")
    assert answer["active"] is True
    assert answer["token_type"] == "refresh_token"
    assert answer["client_id"] == app.client_id and answer["sub"] == user.sub
    assert answer["scope"] == "api:read offline_access"
    assert answer["exp"] > answer["iat"]


def test_refresh_token_of_another_client_is_inactive(
    http: Any, user: Any, app: App, make_app: Any
) -> None:
    token = offline_tokens(http, app)["refresh_token"]
    resource_server = make_app(name="API", grant_types=["client_credentials"])
    assert introspect(http, resource_server, token) == {"active": False}


def test_any_introspecting_client_may_describe_access_tokens(
    http: Any, user: Any, app: App, make_app: Any
) -> None:
    access = offline_tokens(http, app)["access_token"]
    resource_server = make_app(name="API", grant_types=["client_credentials"])
    assert introspect(http, resource_server, access)["active"] is True


def test_rotated_refresh_token_is_inactive(http: Any, user: Any, app: App) -> None:
    token = offline_tokens(http, app)["refresh_token"]
    successor = body(refresh(http, app, token))["refresh_token"]
    assert introspect(http, app, token) == {"active": False}
    assert introspect(http, app, successor)["active"] is True


def test_refresh_token_of_a_disabled_user_is_inactive(http: Any, user: Any, app: App) -> None:
    token = offline_tokens(http, app)["refresh_token"]
    user.update(actions=[type(user).disabled.set(True)])
    assert introspect(http, app, token) == {"active": False}


def test_access_token_of_a_disabled_user_is_inactive(http: Any, user: Any, app: App) -> None:
    token = offline_tokens(http, app)["access_token"]
    assert introspect(http, app, token)["active"] is True
    user.update(actions=[type(user).disabled.set(True)])
    assert introspect(http, app, token) == {"active": False}


def test_client_credentials_token_stays_active_with_no_user_behind_it(
    http: Any, make_client: Any, app: App
) -> None:
    import json

    from tests.helpers.forms import basic

    machine, secret = make_client()
    form = {"grant_type": "client_credentials"}
    issued = json.loads(post_form(http, "/token", form, basic(machine.client_id, secret)).body)
    described = introspect(http, app, issued["access_token"])
    assert described["active"] is True and described["sub"] == machine.client_id


def test_expired_other_issuer_and_malformed_tokens_are_just_inactive(http: Any, app: App) -> None:
    for token in (
        forged.ours(iat=1_600_000_000, exp=1_600_000_600),
        forged.ours(iss="https://other.example"),
        "definitely not a token",
        forged.bad_signature(forged.ours()),
    ):
        assert introspect(http, app, token) == {"active": False}


def test_client_without_introspect_permission_is_refused(
    http: Any, user: Any, make_app: Any
) -> None:
    app = make_app(can_introspect=False)
    response = post_form(http, "/introspect", {"token": "x"}, app.auth)
    assert response.status_code == 403
    assert body(response)["error"] == "unauthorized_client"


def test_introspection_requires_client_authentication(http: Any, app: App) -> None:
    anonymous = post_form(http, "/introspect", {"token": "x"})
    assert anonymous.status_code == 401
    wrong = post_form(http, "/introspect", {"token": "x"}, App(app.client_id, "nope").auth)
    assert wrong.status_code == 401 and body(wrong)["error"] == "invalid_client"


def test_missing_token_is_invalid_request(http: Any, app: App) -> None:
    response = post_form(http, "/introspect", {}, app.auth)
    assert response.status_code == 400 and body(response)["error"] == "invalid_request"


def test_introspection_response_is_not_cacheable(http: Any, app: App) -> None:
    response = post_form(http, "/introspect", {"token": "x"}, app.auth)
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Content-Type"] == "application/json"


def test_wrong_hint_still_finds_the_token(http: Any, user: Any, app: App) -> None:
    issued = offline_tokens(http, app)
    hinted = introspect(http, app, issued["access_token"], token_type_hint="refresh_token")
    assert hinted["active"] is True and hinted["token_type"] == "Bearer"
    hinted = introspect(http, app, issued["refresh_token"], token_type_hint="access_token")
    assert hinted["active"] is True and hinted["token_type"] == "refresh_token"
