"""The authorization_code grant: one redemption, bound to client, redirect_uri and PKCE."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.helpers.browser import Browser
from tests.helpers.oidc import REDIRECT, answer, authorize, exchange, pkce_pair


@pytest.fixture
def web(make_client: Any, make_user: Any) -> tuple[Any, str]:
    make_user()
    return make_client(
        name="Web app",
        grant_types=["authorization_code"],
        redirect_uris=[REDIRECT, "https://app.example/other"],
        scope="openid profile email api:read",
    )


def get_code(http: Any, client: Any, **extra: str) -> str:
    params = {
        "response_type": "code",
        "client_id": client.client_id,
        "redirect_uri": REDIRECT,
        "scope": "openid profile",
        "state": "s",
        **extra,
    }
    return answer(authorize(Browser(http), **params))["code"]


def error_of(response: Any) -> str:
    assert response.status_code in (400, 401), response.body
    return json.loads(response.body)["error"]


def test_code_exchange_returns_bearer_access_token_and_id_token(http: Any, web: Any) -> None:
    client, secret = web
    response = exchange(http, client, secret, get_code(http, client, nonce="n-1"))
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    body = json.loads(response.body)
    assert body["token_type"] == "Bearer" and body["scope"] == "openid profile"
    assert "refresh_token" not in body
    import jwt

    claims = jwt.decode(body["id_token"], options={"verify_signature": False})
    assert claims["nonce"] == "n-1" and claims["aud"] == client.client_id
    assert "name" not in claims  # profile claims come from userinfo when an access token is issued


def test_code_reuse_is_invalid_grant_and_revokes_the_first_tokens(http: Any, web: Any) -> None:
    client, secret = web
    code = get_code(http, client)
    first = json.loads(exchange(http, client, secret, code).body)
    bearer = {"Authorization": f"Bearer {first['access_token']}"}
    assert http.get("/userinfo", headers=bearer).status_code == 200

    assert error_of(exchange(http, client, secret, code)) == "invalid_grant"
    after = http.get("/userinfo", headers=bearer)
    assert after.status_code == 401
    assert 'error="invalid_token"' in after.headers["WWW-Authenticate"]


def test_code_is_bound_to_the_client_it_was_issued_to(
    http: Any, web: Any, make_client: Any
) -> None:
    client, secret = web
    other, other_secret = make_client(
        name="Other", grant_types=["authorization_code"], redirect_uris=[REDIRECT], scope="openid"
    )
    code = get_code(http, client)
    assert error_of(exchange(http, other, other_secret, code)) == "invalid_grant"
    # refused without being consumed: the rightful client still redeems it
    assert exchange(http, client, secret, code).status_code == 200


def test_code_is_bound_to_the_redirect_uri_of_the_request(http: Any, web: Any) -> None:
    client, secret = web
    code = get_code(http, client)
    wrong = exchange(http, client, secret, code, redirect_uri="https://app.example/other")
    assert error_of(wrong) == "invalid_grant"
    missing = exchange(http, client, secret, code, redirect_uri=None)
    assert error_of(missing) == "invalid_grant"


def test_expired_code_is_rejected_while_still_in_the_table(http: Any, web: Any) -> None:
    from chalicelib.models import AuthorizationCodeModel, now
    from chalicelib.opaque import sha256_hex

    client, secret = web
    code = get_code(http, client)
    record = AuthorizationCodeModel.get(sha256_hex(code))
    record.update(actions=[AuthorizationCodeModel.expires_at.set(now() - 1)])
    assert AuthorizationCodeModel.count() == 1
    assert error_of(exchange(http, client, secret, code)) == "invalid_grant"


def test_codes_are_stored_hashed_with_a_sixty_second_lifetime(http: Any, web: Any) -> None:
    from chalicelib.models import AuthorizationCodeModel, now

    client, _ = web
    code = get_code(http, client)
    (record,) = list(AuthorizationCodeModel.scan())
    assert code not in record.code_hash and len(code) >= 43
    assert 55 <= record.expires_at - now() <= 60


def test_pkce_missing_verifier_is_rejected(http: Any, web: Any) -> None:
    client, secret = web
    _, challenge = pkce_pair()
    code = get_code(http, client, code_challenge=challenge, code_challenge_method="S256")
    assert error_of(exchange(http, client, secret, code)) == "invalid_grant"


def test_pkce_wrong_verifier_is_rejected(http: Any, web: Any) -> None:
    client, secret = web
    _, challenge = pkce_pair()
    other_verifier, _ = pkce_pair()
    code = get_code(http, client, code_challenge=challenge, code_challenge_method="S256")
    response = exchange(http, client, secret, code, code_verifier=other_verifier)
    assert error_of(response) == "invalid_grant"


def test_pkce_downgrade_verifier_without_challenge_is_rejected(http: Any, web: Any) -> None:
    client, secret = web
    verifier, _ = pkce_pair()
    code = get_code(http, client)
    response = exchange(http, client, secret, code, code_verifier=verifier)
    assert error_of(response) == "invalid_grant"


@pytest.mark.parametrize("verifier", ["short", "a" * 129, "a" * 42 + "!", "é" * 50])
def test_pkce_verifier_must_be_43_to_128_unreserved_characters(
    http: Any, web: Any, verifier: str
) -> None:
    client, secret = web
    _, challenge = pkce_pair()
    code = get_code(http, client, code_challenge=challenge, code_challenge_method="S256")
    response = exchange(http, client, secret, code, code_verifier=verifier)
    assert error_of(response) == "invalid_request"


def test_pkce_s256_round_trip_for_a_public_client(
    http: Any, make_client: Any, make_user: Any
) -> None:
    make_user()
    client, _ = make_client(
        name="SPA", grant_types=["authorization_code"], redirect_uris=[REDIRECT],
        scope="openid", public=True,
    )  # fmt: skip
    verifier, challenge = pkce_pair()
    code = get_code(
        http, client, scope="openid", code_challenge=challenge, code_challenge_method="S256"
    )
    assert exchange(http, client, None, code, code_verifier=verifier).status_code == 200


def test_authorization_code_grant_needs_the_client_registered_for_it(
    http: Any, web: Any, make_client: Any
) -> None:
    client, _ = web
    service, service_secret = make_client()
    code = get_code(http, client)
    response = exchange(http, service, service_secret, code)
    assert json.loads(response.body)["error"] == "unauthorized_client"


def test_code_of_a_user_disabled_since_sign_in_is_invalid_grant(http: Any, web: Any) -> None:
    from chalicelib.records import users

    # Given a code issued while alice could sign in, and then her account is disabled
    client, secret = web
    code = get_code(http, client)
    users.set_disabled("alice")
    # Then the code gets no tokens, as a device code or refresh token would not
    assert error_of(exchange(http, client, secret, code)) == "invalid_grant"


def test_nonce_too_long_for_an_id_token_is_refused_at_authorize_not_a_500_at_token(
    http: Any, web: Any
) -> None:
    # Given a signed-in browser (so the long request needs no login round trip)
    client, secret = web
    browser = Browser(http)
    request = {
        "response_type": "code", "client_id": client.client_id, "redirect_uri": REDIRECT,
        "scope": "openid", "state": "s",
    }  # fmt: skip
    answer(authorize(browser, **request))
    # When the nonce fits the length limit but not, JSON-escaped, a signable ID token
    response = authorize(browser, **request, nonce="\u00e9" * 2000)
    # Then /authorize refuses it, rather than issue a code /token can only answer with a 500
    params = answer(response)
    if "code" in params:
        assert exchange(http, client, secret, params["code"]).status_code < 500
    assert params.get("error") == "invalid_request"


def test_a_wrong_code_verifier_leaves_the_code_to_the_client_holding_the_right_one(
    http: Any, web: Any
) -> None:
    """RFC 9700 §4.5: whoever saw the code without its verifier cannot burn it; the checks
    run on the code as read, before the one write that redeems it."""
    client, secret = web
    verifier, challenge = pkce_pair()
    code = get_code(http, client, code_challenge=challenge, code_challenge_method="S256")
    for wrong in (pkce_pair()[0], None):
        assert error_of(exchange(http, client, secret, code, code_verifier=wrong)) == (
            "invalid_grant"
        )
    assert exchange(http, client, secret, code, code_verifier=verifier).status_code == 200


def test_a_code_issued_before_codes_kept_the_username_is_redeemed_by_its_sub(
    http: Any, web: Any
) -> None:
    from chalicelib.models import AuthorizationCodeModel
    from chalicelib.opaque import sha256_hex

    client, secret = web
    code = get_code(http, client)
    record = AuthorizationCodeModel.get(sha256_hex(code))
    assert record.username == "alice"  # /authorize keeps the signed-in person's username
    record.update(actions=[AuthorizationCodeModel.username.remove()])
    assert exchange(http, client, secret, code).status_code == 200


def test_a_code_of_a_person_disabled_since_is_refused_and_not_redeemed(http: Any, web: Any) -> None:
    from chalicelib.models import AuthorizationCodeModel
    from chalicelib.opaque import sha256_hex
    from chalicelib.records import users

    client, secret = web
    code = get_code(http, client)
    users.set_disabled("alice")
    assert error_of(exchange(http, client, secret, code)) == "invalid_grant"
    assert AuthorizationCodeModel.get(sha256_hex(code)).redeemed_at is None
