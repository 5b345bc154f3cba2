"""POST /revoke, RFC 7009."""

from __future__ import annotations

from typing import Any

from tests.helpers.forms import post_form
from tests.helpers.tokens import App, body, introspect, offline_tokens, refresh, revoke


def test_revoking_a_refresh_token_revokes_its_family(http: Any, user: Any, app: App) -> None:
    issued = offline_tokens(http, app)
    second = body(refresh(http, app, issued["refresh_token"]))
    response = revoke(http, app, second["refresh_token"])
    assert response.status_code == 200
    assert body(refresh(http, app, second["refresh_token"]))["error"] == "invalid_grant"
    assert introspect(http, app, second["refresh_token"]) == {"active": False}
    # access tokens issued with the family are revoked with it (RFC 7009 §2.1)
    assert introspect(http, app, second["access_token"]) == {"active": False}
    assert introspect(http, app, issued["access_token"]) == {"active": False}


def test_revoked_access_token_is_inactive_and_the_refresh_token_lives_on(
    http: Any, user: Any, app: App
) -> None:
    issued = offline_tokens(http, app)
    assert introspect(http, app, issued["access_token"])["active"] is True
    assert revoke(http, app, issued["access_token"]).status_code == 200
    assert introspect(http, app, issued["access_token"]) == {"active": False}
    assert refresh(http, app, issued["refresh_token"]).status_code == 200


def test_revoked_access_token_stays_denied_until_its_exp(http: Any, user: Any, app: App) -> None:
    import jwt

    from chalicelib.models import RevokedTokenModel

    access = offline_tokens(http, app)["access_token"]
    revoke(http, app, access, token_type_hint="access_token")
    claims = jwt.decode(access, options={"verify_signature": False})
    assert RevokedTokenModel.get(claims["jti"]).expires_at == claims["exp"]


def test_another_clients_token_is_ignored(http: Any, user: Any, app: App, make_app: Any) -> None:
    issued = offline_tokens(http, app)
    other = make_app(name="Other app")
    for token in (issued["refresh_token"], issued["access_token"]):
        response = revoke(http, other, token)
        assert response.status_code == 200 and response.body in (b"", "")
        assert introspect(http, app, token)["active"] is True


def test_unknown_token_answers_200(http: Any, app: App) -> None:
    for token in ("unknown", "x" * 43, "a.b.c", "é"):
        assert revoke(http, app, token).status_code == 200


def test_token_type_hint_is_only_a_hint(http: Any, user: Any, app: App) -> None:
    issued = offline_tokens(http, app)
    revoke(http, app, issued["access_token"], token_type_hint="refresh_token")
    assert introspect(http, app, issued["access_token"]) == {"active": False}
    revoke(http, app, issued["refresh_token"], token_type_hint="access_token")
    assert introspect(http, app, issued["refresh_token"]) == {"active": False}


def test_unknown_token_type_hint_is_ignored(http: Any, user: Any, app: App) -> None:
    issued = offline_tokens(http, app)
    response = revoke(http, app, issued["refresh_token"], token_type_hint="id_token")
    assert response.status_code == 200
    assert introspect(http, app, issued["refresh_token"]) == {"active": False}


def test_revocation_requires_client_authentication(http: Any, user: Any, app: App) -> None:
    token = offline_tokens(http, app)["refresh_token"]
    anonymous = post_form(http, "/revoke", {"token": token})
    assert anonymous.status_code == 401 and body(anonymous)["error"] == "invalid_client"
    wrong = post_form(http, "/revoke", {"token": token}, App(app.client_id, "nope").auth)
    assert wrong.status_code == 401 and "WWW-Authenticate" in wrong.headers
    assert introspect(http, app, token)["active"] is True


def test_missing_token_is_invalid_request(http: Any, app: App) -> None:
    response = post_form(http, "/revoke", {}, app.auth)
    assert response.status_code == 400 and body(response)["error"] == "invalid_request"


def test_response_is_not_cacheable(http: Any, app: App) -> None:
    response = revoke(http, app, "whatever")
    assert response.headers["Cache-Control"] == "no-store"


def test_public_client_revokes_its_own_refresh_token(
    http: Any, user: Any, make_client: Any
) -> None:
    from tests.helpers.tokens import PASSWORD

    client, _ = make_client(
        name="Public app", public=True, grant_types=["password", "refresh_token"],
        scope="api:read offline_access",
    )  # fmt: skip
    form = {
        "grant_type": "password", "username": "alice", "password": PASSWORD,
        "scope": "api:read offline_access", "client_id": client.client_id,
    }  # fmt: skip
    token = body(post_form(http, "/token", form))["refresh_token"]
    revoked = post_form(http, "/revoke", {"token": token, "client_id": client.client_id})
    assert revoked.status_code == 200
    form = {"grant_type": "refresh_token", "refresh_token": token, "client_id": client.client_id}
    assert body(post_form(http, "/token", form))["error"] == "invalid_grant"
