"""RFC 9700 (OAuth 2.0 Security BCP) rules for redirect-based flows, one test per rule.

Each test's docstring names the section it holds; the README's Security section lists them.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.helpers.browser import Browser
from tests.helpers.forms import PASSWORD
from tests.helpers.oidc import answer, authorize, exchange, pkce_pair
from tests.security.conftest import SPA_REDIRECT, WEB_REDIRECT, code_request


def is_error_page(response: Any) -> bool:
    return response.status_code == 400 and "Location" not in response.headers


@pytest.mark.parametrize(
    "uri",
    [
        WEB_REDIRECT + "/",
        WEB_REDIRECT + "?next=https://evil.example",
        WEB_REDIRECT + "/../cb",
        "https://APP.example/cb",
        "http://app.example/cb",
        "https://app.example.evil.example/cb",
        "https://app.example/cb#fragment",
    ],
)
def test_redirect_uris_are_matched_exactly(browser: Browser, web: Any, uri: str) -> None:
    """§2.1, §4.1: exact string matching of redirect URIs; a near miss gets an error page."""
    client, _ = web
    assert is_error_page(browser.get("/authorize", code_request(client, uri)))


def test_an_unknown_client_never_causes_a_redirect(browser: Browser) -> None:
    """§4.11 (open redirection): the AS redirects only to URIs it has verified."""
    params = {
        "response_type": "code",
        "client_id": "nobody",
        "redirect_uri": "https://evil.example",
    }
    assert is_error_page(browser.get("/authorize", params))


def test_errors_after_verification_go_only_to_the_registered_uri(browser, web) -> None:
    """§4.18 (AS redirecting to a phishing site): an error redirect goes only to the
    client's registered redirect URI, with the error, state and iss."""
    client, _ = web
    response = browser.get("/authorize", code_request(client, WEB_REDIRECT, scope="root"))
    assert response.headers["Location"].startswith(WEB_REDIRECT + "?")
    assert answer(response)["error"] == "invalid_scope"


def test_a_public_client_must_send_a_pkce_challenge(browser: Browser, spa: Any) -> None:
    """§2.1.1: public clients MUST use PKCE; a request without it is refused."""
    result = answer(browser.get("/authorize", code_request(spa, SPA_REDIRECT)))
    assert result["error"] == "invalid_request"


def test_pkce_plain_is_refused_unless_the_client_registered_for_it(browser, spa) -> None:
    """§2.1.1: S256 is the method; `plain` only where a client was registered for it."""
    params = code_request(spa, SPA_REDIRECT, code_challenge="x" * 43, code_challenge_method="plain")
    assert answer(browser.get("/authorize", params))["error"] == "invalid_request"


def test_a_code_issued_without_a_challenge_refuses_a_verifier(http, browser, web) -> None:
    """§4.8 (PKCE downgrade): a code_verifier for a code issued without code_challenge
    is refused, so an attacker cannot strip the challenge from the request."""
    client, secret = web
    browser.login("alice", PASSWORD)
    code = answer(authorize(browser, **code_request(client, WEB_REDIRECT)))["code"]
    verifier, _ = pkce_pair()
    response = exchange(
        http, client, secret, code, redirect_uri=WEB_REDIRECT, code_verifier=verifier
    )
    assert json.loads(response.body)["error"] == "invalid_grant"


def test_a_code_issued_with_a_challenge_needs_its_verifier(http, browser, spa) -> None:
    """§4.5 (code injection): a code is redeemed only with the verifier of its challenge."""
    _, challenge = pkce_pair()
    other, _ = pkce_pair()
    params = code_request(spa, SPA_REDIRECT, code_challenge=challenge, code_challenge_method="S256")
    code = answer(authorize(browser, **params))["code"]
    response = exchange(http, spa, None, code, redirect_uri=SPA_REDIRECT, code_verifier=other)
    assert json.loads(response.body)["error"] == "invalid_grant"


def test_a_code_is_bound_to_its_client(http, browser, web, spa) -> None:
    """§4.5: a code injected into another client's redemption is refused."""
    client, _ = web
    code = answer(authorize(browser, **code_request(client, WEB_REDIRECT)))["code"]
    response = exchange(http, spa, None, code, redirect_uri=SPA_REDIRECT)
    assert json.loads(response.body)["error"] == "invalid_grant"


def test_a_code_works_once_and_briefly(http, browser, web, clock) -> None:
    """§4.3 (browser history): a code from history is useless: single use, 60 s."""
    client, secret = web
    first = answer(authorize(browser, **code_request(client, WEB_REDIRECT)))["code"]
    assert exchange(http, client, secret, first, redirect_uri=WEB_REDIRECT).status_code == 200
    again = exchange(http, client, secret, first, redirect_uri=WEB_REDIRECT)
    assert json.loads(again.body)["error"] == "invalid_grant"
    late = answer(authorize(browser, **code_request(client, WEB_REDIRECT)))["code"]
    clock.advance(61)
    response = exchange(http, client, secret, late, redirect_uri=WEB_REDIRECT)
    assert json.loads(response.body)["error"] == "invalid_grant"


def test_every_authorization_response_names_the_issuer(http, browser, web) -> None:
    """§4.4 (mix-up), RFC 9207: `iss` in success and error responses, advertised."""
    client, _ = web
    ok = answer(authorize(browser, **code_request(client, WEB_REDIRECT)))
    refused = answer(browser.get("/authorize", code_request(client, WEB_REDIRECT, scope="root")))
    metadata = json.loads(http.get("/.well-known/oauth-authorization-server").body)
    assert ok["iss"] == refused["iss"] == metadata["issuer"]
    assert metadata["authorization_response_iss_parameter_supported"] is True


def test_state_comes_back_unchanged(browser: Browser, web: Any) -> None:
    """§4.7 (CSRF): the client's state value is returned exactly as sent."""
    client, _ = web
    state = "ünïcode &amp; <b> ?#"
    assert (
        answer(authorize(browser, **code_request(client, WEB_REDIRECT, state=state)))["state"]
        == state
    )


def test_a_sign_in_without_our_csrf_token_signs_no_one_in(http: Any, user: Any) -> None:
    """§4.7 (CSRF): the login form's POST needs the token its page set."""
    from tests.helpers.forms import post_form

    response = post_form(http, "/login", {"username": "alice", "password": PASSWORD})
    assert response.status_code in (400, 403)
    assert "Set-Cookie" not in response.headers or "gh_session" not in str(
        response.headers.get("Set-Cookie")
    )


def test_authorization_responses_leak_no_referer(browser: Browser, web: Any) -> None:
    """§4.2 (Referer leakage): the redirect carrying a code and every page say no-referrer."""
    client, _ = web
    response = authorize(browser, **code_request(client, WEB_REDIRECT))
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert browser.get("/login").headers["Referrer-Policy"] == "no-referrer"


def test_no_redirect_is_a_307(http: Any, browser: Browser, web: Any) -> None:
    """§4.12 (307 redirect): a 307 would re-post the password to the client; the AS uses
    302 for GET redirects and 303 after a form POST."""
    client, _ = web
    first = browser.get("/authorize", code_request(client, WEB_REDIRECT))
    login_page = browser.get(first.headers["Location"])
    signed_in = browser.submit(login_page, username="alice", password=PASSWORD)
    assert first.status_code == 302 and signed_in.status_code == 303


def test_pages_cannot_be_framed(browser: Browser, web: Any) -> None:
    """§4.16 (clickjacking): X-Frame-Options DENY and CSP frame-ancestors 'none' on every
    page a person acts on: sign-in, consent, device code entry, sign-out."""
    client, _ = web
    pages = [browser.get("/login")]
    browser.login("alice", PASSWORD)
    pages += [browser.get("/device"), browser.get("/logout")]
    pages.append(browser.get("/authorize", code_request(client, WEB_REDIRECT, prompt="consent")))
    for page in pages:
        assert page.status_code == 200, page.body[:200]
        assert page.headers["X-Frame-Options"] == "DENY"
        assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]


def test_the_authorization_endpoint_has_no_cors(http: Any, web: Any) -> None:
    """§2.6: the authorization endpoint is for top-level navigation, never for scripts of
    other origins (no CORS headers on it or on the pages)."""
    client, _ = web
    query = "&".join(f"{k}={v}" for k, v in code_request(client, WEB_REDIRECT).items())
    response = http.get(f"/authorize?{query}", headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in response.headers


def test_tokens_in_the_front_channel_need_the_clients_consent_to_it(browser, web) -> None:
    """§2.1.2 (implicit grant): access tokens in the authorization response only for a
    client registered to receive them; others get unauthorized_client."""
    client, _ = web
    params = code_request(client, WEB_REDIRECT, response_type="token")
    response = browser.get("/authorize", params)
    assert urlsplit(response.headers["Location"]).netloc == "app.example"
    assert "access_token" not in response.headers["Location"]
    assert answer(response)["error"] in ("unauthorized_client", "unsupported_response_type")


def test_a_front_channel_access_token_is_bound_to_the_id_token(browser, make_client, user):
    """§4.6 (access token injection): with tokens in the front channel, the ID token's
    `at_hash` binds the access token and `nonce` binds the request, so a client can tell
    an injected token from its own."""
    import jwt

    from tests.helpers.oidc import left_half_sha256

    client, _ = make_client(
        name="Hybrid app",
        grant_types=["authorization_code", "implicit"],
        redirect_uris=[WEB_REDIRECT],
        response_types=["id_token token"],
        allow_tokens_via_browser=True,
        scope="openid api:read",
    )
    params = code_request(client, WEB_REDIRECT, response_type="id_token token", nonce="n-46")
    result = answer(authorize(browser, **params))
    id_claims = jwt.decode(result["id_token"], options={"verify_signature": False})
    assert id_claims["at_hash"] == left_half_sha256(result["access_token"])
    assert id_claims["nonce"] == "n-46"
