"""RFC 9700 (OAuth 2.0 Security BCP) rules for tokens, clients and the token endpoint.

Each test's docstring names the section it holds; the README's Security section lists them.
"""

from __future__ import annotations

import jwt

from tests.helpers.forms import basic, post_form
from tests.helpers.tokens import App, body, offline_tokens, password_grant, refresh


def claims(token: str) -> dict:
    return jwt.decode(token, options={"verify_signature": False})


def test_a_reused_refresh_token_revokes_the_whole_family(http, app, user) -> None:
    """§2.2.2, §4.14.2: refresh tokens rotate; presenting a used one again revokes every
    refresh token of that grant, the newest included."""
    first = offline_tokens(http, app)["refresh_token"]
    second = body(refresh(http, app, first))["refresh_token"]
    assert body(refresh(http, app, first))["error"] == "invalid_grant"
    assert body(refresh(http, app, second))["error"] == "invalid_grant"


def test_a_refresh_token_is_bound_to_its_client(http, app, make_app, user) -> None:
    """§4.14.2: a refresh token is bound to the client it was issued to; another client
    presenting it, even with valid credentials of its own, gets invalid_grant."""
    stolen = offline_tokens(http, app)["refresh_token"]
    thief = make_app(name="Thief")
    assert body(refresh(http, thief, stolen))["error"] == "invalid_grant"
    assert refresh(http, app, stolen).status_code == 200  # the victim's grant is intact


def test_an_idle_refresh_token_expires(http, app, user, clock) -> None:
    """§4.14.2: refresh tokens expire after a period of inactivity (REFRESH_IDLE_LIFETIME)."""
    token = offline_tokens(http, app)["refresh_token"]
    clock.advance(14 * 86400 + 1)
    assert body(refresh(http, app, token))["error"] == "invalid_grant"


def test_access_tokens_are_short_lived_and_typed(http, app, user) -> None:
    """§4.9, §2.2.1: access tokens live an hour (ACCESS_TOKEN_LIFETIME) and are RFC 9068
    JWTs (`typ: at+jwt`), so an ID token cannot be replayed as one."""
    token = offline_tokens(http, app)["access_token"]
    assert jwt.get_unverified_header(token)["typ"] == "at+jwt"
    lifetime = claims(token)["exp"] - claims(token)["iat"]
    assert 0 < lifetime <= 3600


def test_access_tokens_are_restricted_to_an_audience(http, make_client) -> None:
    """§2.3, §4.10: every access token names its audience (`aud`), so a resource server
    that checks it refuses a token meant for another."""
    client, secret = make_client()
    grant = {"grant_type": "client_credentials"}
    token = body(post_form(http, "/token", grant, basic(client.client_id, secret)))
    assert claims(token["access_token"])["aud"] == "urn:gatehouse:api"


def test_the_password_grant_only_for_clients_registered_for_it(http, make_client, user):
    """§2.4: the resource owner password grant MUST NOT be used generally; here only a
    client registered for it (first-party, by the admin) may, every other gets
    unauthorized_client."""
    client, secret = make_client(grant_types=["client_credentials"])
    response = password_grant(http, App(client.client_id, secret or ""))
    assert body(response)["error"] == "unauthorized_client"


def test_client_secrets_are_stored_only_as_hashes(make_client) -> None:
    """§2.5: client credentials at rest are hashes; the record never holds the secret."""
    from chalicelib.models import ClientModel

    client, secret = make_client()
    record = ClientModel.get(client.client_id).attribute_values
    assert secret and secret not in repr(record)


def test_a_client_cannot_impersonate_a_person(http, make_client, user) -> None:
    """§4.15: a client_credentials token's subject is the client itself, never a person's
    sub, and it is no key to a person's userinfo."""
    client, secret = make_client()
    grant = {"grant_type": "client_credentials"}
    token = body(post_form(http, "/token", grant, basic(client.client_id, secret)))
    assert claims(token["access_token"])["sub"] == client.client_id != user.sub
    response = http.get("/userinfo", headers={"Authorization": f"Bearer {token['access_token']}"})
    assert response.status_code in (401, 403)


def test_forwarded_headers_do_not_choose_the_source_of_a_request(http, device_client, user):
    """§4.13 (TLS-terminating proxies): X-Forwarded-For is set by whoever sends the request;
    limits count the address API Gateway saw, so changing the header does not reset them."""
    from tests.helpers.browser import Browser
    from tests.helpers.forms import PASSWORD

    browser = Browser(http)
    browser.login("alice", PASSWORD, return_to="/device")
    answers = []
    for attempt in range(7):
        page = browser.get("/device")
        browser.extra_headers = {"X-Forwarded-For": f"198.51.100.{attempt}"}
        answers.append(browser.submit(page, user_code="BCDF-GHJK").body.decode())
    assert "Too many wrong codes" in answers[-1]
