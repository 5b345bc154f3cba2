"""/userinfo: bearer token in the header (GET, POST) or the form body; RFC 6750 errors."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.helpers.browser import Browser
from tests.helpers.forms import basic, post_form
from tests.helpers.oidc import REDIRECT, answer, authorize, exchange


@pytest.fixture
def tokens_for(http: Any, make_client: Any, make_user: Any) -> Any:
    make_user()
    client, secret = make_client(
        name="Web app",
        grant_types=["authorization_code", "client_credentials"],
        redirect_uris=[REDIRECT],
        scope="openid profile email api:read",
    )

    def get(scope: str) -> dict[str, Any]:
        params = {
            "response_type": "code", "client_id": client.client_id, "redirect_uri": REDIRECT,
            "scope": scope, "state": "s",
        }  # fmt: skip
        code = answer(authorize(Browser(http), **params))["code"]
        return json.loads(exchange(http, client, secret, code).body)

    get.client = client  # type: ignore[attr-defined]
    get.secret = secret  # type: ignore[attr-defined]
    return get


def test_userinfo_get_returns_sub_and_the_claims_the_scopes_allow(
    http: Any, tokens_for: Any
) -> None:
    token = tokens_for("openid email")["access_token"]
    response = http.get("/userinfo", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    body = json.loads(response.body)
    assert set(body) == {"sub", "email", "email_verified"}
    assert body["email"] == "alice@example.com"


def test_userinfo_post_with_bearer_header_and_with_form_token(http: Any, tokens_for: Any) -> None:
    token = tokens_for("openid profile")["access_token"]
    by_header = http.post("/userinfo", body=b"", headers={"Authorization": f"Bearer {token}"})
    by_form = post_form(http, "/userinfo", {"access_token": token})
    assert json.loads(by_header.body) == json.loads(by_form.body)
    assert json.loads(by_form.body)["name"] == "Alice Example"


def test_userinfo_without_a_token_is_401_with_a_bare_bearer_challenge(http: Any) -> None:
    response = http.get("/userinfo")
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="gatehouse"'


def test_userinfo_with_a_bad_token_is_invalid_token(http: Any, aws: None) -> None:
    response = http.get("/userinfo", headers={"Authorization": "Bearer not.a.token"})
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith('Bearer error="invalid_token"')


def test_userinfo_with_token_in_header_and_body_is_invalid_request(
    http: Any, tokens_for: Any
) -> None:
    token = tokens_for("openid")["access_token"]
    response = post_form(
        http, "/userinfo", {"access_token": token}, {"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 400
    assert json.loads(response.body)["error"] == "invalid_request"


def test_userinfo_needs_the_openid_scope(http: Any, tokens_for: Any) -> None:
    client, secret = tokens_for.client, tokens_for.secret
    service = post_form(
        http, "/token", {"grant_type": "client_credentials", "scope": "api:read"},
        basic(client.client_id, secret),
    )  # fmt: skip
    token = json.loads(service.body)["access_token"]
    response = http.get("/userinfo", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 403
    assert 'error="insufficient_scope"' in response.headers["WWW-Authenticate"]


def test_userinfo_refuses_a_revoked_token_and_a_disabled_user(http: Any, tokens_for: Any) -> None:
    import jwt

    from chalicelib.records import users
    from chalicelib.tokens import access_tokens

    first = tokens_for("openid")["access_token"]
    second = tokens_for("openid")["access_token"]
    claims = jwt.decode(first, options={"verify_signature": False})
    access_tokens.revoke(claims["jti"], claims["exp"])
    assert http.get("/userinfo", headers={"Authorization": f"Bearer {first}"}).status_code == 401
    users.set_disabled("alice")
    assert http.get("/userinfo", headers={"Authorization": f"Bearer {second}"}).status_code == 401
