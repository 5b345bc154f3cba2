"""A first-party app signs a person in with Authlib against `chalice local`: password grant
with offline_access, refresh, revoke; introspection then reports every token inactive."""

from __future__ import annotations

import requests
from authlib.integrations.requests_client import OAuth2Session

from tests.helpers.stack import Stack


def test_authlib_password_refresh_revoke_then_introspection_shows_inactive(
    stack: Stack,
) -> None:
    # Given a person and a trusted first-party client created with the admin CLI
    stack.admin("user", "create", "--username", "pat", "--password-stdin", stdin="pw-dana-42\n")
    created = stack.admin(
        "client", "create", "--name", "Desktop app", "--grant-type", "password",
        "--grant-type", "refresh_token", "--scope", "api:read offline_access",
        "--can-introspect",
    )  # fmt: skip
    metadata = requests.get(f"{stack.issuer}/.well-known/oauth-authorization-server", timeout=10)
    endpoints = metadata.json()
    oauth = OAuth2Session(
        created["client_id"], created["client_secret"], scope="api:read offline_access"
    )

    # When the app signs in with the password grant and refreshes
    first = oauth.fetch_token(endpoints["token_endpoint"], username="pat", password="pw-dana-42")
    assert first["refresh_token"] and first["scope"] == "api:read offline_access"
    second = oauth.refresh_token(endpoints["token_endpoint"], refresh_token=first["refresh_token"])
    assert second["refresh_token"] != first["refresh_token"]
    active = oauth.introspect_token(
        endpoints["introspection_endpoint"], token=second["access_token"]
    )
    assert active.json()["active"] is True

    # And it revokes the refresh token (signing out)
    revoked = oauth.revoke_token(
        endpoints["revocation_endpoint"], token=second["refresh_token"],
        token_type_hint="refresh_token",
    )  # fmt: skip
    assert revoked.status_code == 200

    # Then introspection reports the refresh token and its access tokens inactive
    for token in (second["refresh_token"], second["access_token"], first["access_token"]):
        answer = oauth.introspect_token(endpoints["introspection_endpoint"], token=token)
        assert answer.status_code == 200
        assert answer.json() == {"active": False}
    # and the revoked refresh token no longer refreshes
    again = requests.post(
        endpoints["token_endpoint"],
        data={"grant_type": "refresh_token", "refresh_token": second["refresh_token"]},
        auth=(created["client_id"], created["client_secret"]),
        timeout=10,
    )
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"
