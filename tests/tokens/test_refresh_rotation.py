"""The refresh_token grant: rotation, reuse detection, grace window, scope, binding."""

from __future__ import annotations

from typing import Any

import jwt

from tests.helpers.tokens import (
    App,
    body,
    introspect,
    offline_tokens,
    password_grant,
    refresh,
)


def test_each_refresh_returns_a_new_refresh_token(http: Any, user: Any, app: App) -> None:
    first = offline_tokens(http, app)["refresh_token"]
    second = body(refresh(http, app, first))
    third = body(refresh(http, app, second["refresh_token"]))
    assert len({first, second["refresh_token"], third["refresh_token"]}) == 3
    assert len(first) == len(second["refresh_token"]) == 43
    assert second["token_type"] == "Bearer" and second["access_token"]


def test_refreshed_access_token_keeps_subject_scope_and_auth_time(
    http: Any, user: Any, app: App
) -> None:
    issued = offline_tokens(http, app)
    refreshed = body(refresh(http, app, issued["refresh_token"]))
    before = jwt.decode(issued["access_token"], options={"verify_signature": False})
    after = jwt.decode(refreshed["access_token"], options={"verify_signature": False})
    assert after["sub"] == before["sub"] == user.sub
    assert after["auth_time"] == before["auth_time"]
    assert after["scope"] == refreshed["scope"] == "api:read offline_access"
    assert after["jti"] != before["jti"]


def test_rotated_refresh_token_fails_with_invalid_grant(http: Any, user: Any, app: App) -> None:
    first = offline_tokens(http, app)["refresh_token"]
    assert refresh(http, app, first).status_code == 200
    again = refresh(http, app, first)
    assert again.status_code == 400
    assert body(again)["error"] == "invalid_grant"


def test_rotated_refresh_token_reused_revokes_the_family(http: Any, user: Any, app: App) -> None:
    # Given a family rotated twice
    first = offline_tokens(http, app)["refresh_token"]
    second = body(refresh(http, app, first))
    newest = body(refresh(http, app, second["refresh_token"]))
    # When the first token is replayed
    assert body(refresh(http, app, first))["error"] == "invalid_grant"
    # Then the newest token and the access tokens of the family are dead too
    assert body(refresh(http, app, newest["refresh_token"]))["error"] == "invalid_grant"
    assert introspect(http, app, newest["refresh_token"]) == {"active": False}
    assert introspect(http, app, newest["access_token"]) == {"active": False}


def test_retry_inside_grace_window_returns_the_same_successor(
    http: Any, user: Any, app: App, settings_env: Any
) -> None:
    settings_env(REFRESH_GRACE_SECONDS="30")
    first = offline_tokens(http, app)["refresh_token"]
    successor = body(refresh(http, app, first))["refresh_token"]
    # The client lost the response and retries with the old token
    retried = body(refresh(http, app, first))
    assert retried["refresh_token"] == successor
    assert introspect(http, app, successor)["active"] is True
    # The successor works once; then the old token is plain reuse
    assert refresh(http, app, successor).status_code == 200
    assert body(refresh(http, app, first))["error"] == "invalid_grant"


def test_retry_after_grace_window_is_reuse(
    http: Any, user: Any, app: App, settings_env: Any
) -> None:
    settings_env(REFRESH_GRACE_SECONDS="0")
    first = offline_tokens(http, app)["refresh_token"]
    successor = body(refresh(http, app, first))["refresh_token"]
    assert body(refresh(http, app, first))["error"] == "invalid_grant"
    assert body(refresh(http, app, successor))["error"] == "invalid_grant"


def test_refresh_may_narrow_scope_and_keeps_the_grant_whole(http: Any, user: Any, app: App) -> None:
    first = offline_tokens(http, app, scope="api:read api:write offline_access")
    narrowed = body(refresh(http, app, first["refresh_token"], scope="api:read"))
    assert narrowed["scope"] == "api:read"
    claims = jwt.decode(narrowed["access_token"], options={"verify_signature": False})
    assert claims["scope"] == "api:read"
    # RFC 6749 §6: the new refresh token carries the original scope
    whole = body(refresh(http, app, narrowed["refresh_token"]))
    assert whole["scope"] == "api:read api:write offline_access"


def test_refresh_cannot_widen_scope(http: Any, user: Any, app: App) -> None:
    first = offline_tokens(http, app, scope="api:read offline_access")["refresh_token"]
    widened = refresh(http, app, first, scope="api:read api:write")
    assert widened.status_code == 400
    assert body(widened)["error"] == "invalid_scope"
    # a refused request does not spend the token
    assert refresh(http, app, first).status_code == 200


def test_another_clients_refresh_token_is_invalid_grant(
    http: Any, user: Any, app: App, make_app: Any
) -> None:
    first = offline_tokens(http, app)["refresh_token"]
    other = make_app(name="Other app")
    response = refresh(http, other, first)
    assert response.status_code == 400
    assert body(response)["error"] == "invalid_grant"
    # and the rightful client still can use it
    assert refresh(http, app, first).status_code == 200


def test_no_refresh_token_without_offline_access(http: Any, user: Any, app: App) -> None:
    issued = body(password_grant(http, app, scope="api:read"))
    assert "refresh_token" not in issued
    omitted = body(password_grant(http, app))
    assert "refresh_token" not in omitted
    assert omitted["scope"] == "api:read api:write"


def test_no_refresh_token_for_a_client_not_registered_for_refresh(
    http: Any, user: Any, make_app: Any
) -> None:
    app = make_app(grant_types=["password"])
    issued = body(password_grant(http, app, scope="api:read offline_access"))
    assert "refresh_token" not in issued


def test_client_not_registered_for_refresh_token_gets_unauthorized_client(
    http: Any, user: Any, app: App, make_app: Any
) -> None:
    first = offline_tokens(http, app)["refresh_token"]
    password_only = make_app(grant_types=["password"])
    response = refresh(http, password_only, first)
    assert body(response)["error"] == "unauthorized_client"


def test_never_a_refresh_token_for_client_credentials(http: Any, make_app: Any) -> None:
    machine = make_app(grant_types=["client_credentials", "refresh_token"])
    from tests.helpers.forms import post_form

    form = {"grant_type": "client_credentials", "scope": "api:read offline_access"}
    issued = body(post_form(http, "/token", form, machine.auth))
    assert "access_token" in issued and "refresh_token" not in issued


def test_disabled_users_refresh_tokens_stop_refreshing(http: Any, user: Any, app: App) -> None:
    first = offline_tokens(http, app)["refresh_token"]
    user.update(actions=[type(user).disabled.set(True)])
    assert body(refresh(http, app, first))["error"] == "invalid_grant"
    user.update(actions=[type(user).disabled.set(False)])
    assert body(refresh(http, app, first))["error"] == "invalid_grant"


def test_idle_refresh_token_expires(http: Any, user: Any, app: App, settings_env: Any) -> None:
    settings_env(REFRESH_IDLE_LIFETIME="-1")
    first = offline_tokens(http, app)["refresh_token"]
    response = refresh(http, app, first)
    assert body(response)["error"] == "invalid_grant"


def test_successor_inherits_the_familys_absolute_expiry(http: Any, user: Any, app: App) -> None:
    from chalicelib.models import RefreshTokenModel
    from chalicelib.opaque import sha256_hex

    first = offline_tokens(http, app)["refresh_token"]
    second = body(refresh(http, app, first))["refresh_token"]
    old = RefreshTokenModel.get(sha256_hex(first))
    new = RefreshTokenModel.get(sha256_hex(second))
    assert new.expires_at == old.expires_at
    assert new.family_id == old.family_id
    assert old.used_at is not None and old.successor_hash == new.token_hash
    assert new.idle_expires_at <= new.expires_at


def test_unknown_or_malformed_refresh_token_is_invalid_grant(
    http: Any, user: Any, app: App
) -> None:
    for token in ("x" * 43, "not a token", "é" * 43, "a" * 5000):
        assert body(refresh(http, app, token))["error"] == "invalid_grant"


def test_a_refresh_token_from_before_tokens_kept_the_person_rotates_and_its_successor_keeps_them(
    http: Any, user: Any, app: App
) -> None:
    from chalicelib.models import RefreshTokenModel
    from chalicelib.opaque import sha256_hex

    first = offline_tokens(http, app)["refresh_token"]
    record = RefreshTokenModel.get(sha256_hex(first))
    assert (record.username, record.resources) == ("alice", ["urn:gatehouse:api"])
    record.update(
        actions=[RefreshTokenModel.username.remove(), RefreshTokenModel.resources.remove()]
    )
    second = body(refresh(http, app, first))["refresh_token"]
    successor = RefreshTokenModel.get(sha256_hex(second))
    assert (successor.username, successor.resources) == ("alice", ["urn:gatehouse:api"])


def test_a_disabled_persons_refresh_token_from_before_tokens_kept_the_person_ends_its_family(
    http: Any, user: Any, app: App
) -> None:
    from chalicelib.models import RefreshTokenModel
    from chalicelib.opaque import sha256_hex
    from chalicelib.tokens import refresh_families

    first = offline_tokens(http, app)["refresh_token"]
    record = RefreshTokenModel.get(sha256_hex(first))
    record.update(actions=[RefreshTokenModel.username.remove()])
    user.update(actions=[type(user).disabled.set(True)])
    assert body(refresh(http, app, first))["error"] == "invalid_grant"
    assert not refresh_families.is_live(record.family_id)
