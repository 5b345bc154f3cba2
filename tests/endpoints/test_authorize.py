"""/authorize: redirect-URI rules, validation order, response types and modes, consent."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import jwt
import pytest

from tests.helpers.browser import Browser, hidden_fields
from tests.helpers.oidc import PASSWORD, answer, authorize, left_half_sha256, pkce_pair

REGISTERED = "https://app.example/cb?tenant=1"
LOOPBACK = "http://127.0.0.1:8080/callback"


@pytest.fixture
def web(make_client: Any, make_user: Any) -> Any:
    make_user()
    client, _ = make_client(
        name="Web app",
        grant_types=["authorization_code", "implicit"],
        redirect_uris=[REGISTERED, LOOPBACK, "http://[::1]:9000/cb"],
        response_types=["code", "id_token", "id_token token", "code id_token", "code token"],
        allow_tokens_via_browser=True,
        scope="openid profile email api:read",
    )
    return client


@pytest.fixture
def browser(http: Any) -> Browser:
    return Browser(http)


def request(client: Any, **extra: str) -> dict[str, str]:
    return {
        "response_type": "code",
        "client_id": client.client_id,
        "redirect_uri": REGISTERED,
        "scope": "openid profile",
        "state": "st-1",
        "nonce": "n-1",
        **extra,
    }


def claims(token: str) -> dict[str, Any]:
    return jwt.decode(token, options={"verify_signature": False})


def assert_error_page(response: Any) -> None:
    assert response.status_code == 400
    assert "Location" not in response.headers
    assert response.headers["Content-Type"].startswith("text/html")
    assert response.headers["X-Frame-Options"] == "DENY"


@pytest.mark.parametrize(
    "uri",
    [
        "https://app.example/cb?tenant=2",
        "https://app.example/cb?tenant=1&next=https://evil.example",
        "https://APP.example/cb?tenant=1",
        "https://app.example/CB?tenant=1",
        "https://app.example/cb/..;/evil?tenant=1",
        "https://app.example@evil.example/cb?tenant=1",
        "https://app.example/cb?tenant=1#fragment",
        "javascript:alert(1)//https://app.example/cb?tenant=1",
        "http://127.0.0.1.evil.example:8080/callback",
        "http://user@127.0.0.1:8080/callback",
        "http://localhost:8080/callback",
        "https://127.0.0.1:8080/callback",
    ],
)
def test_unregistered_redirect_uri_shows_error_page_and_never_redirects(
    browser: Browser, web: Any, uri: str
) -> None:
    browser.login("alice", PASSWORD, return_to="/login")
    assert_error_page(browser.get("/authorize", request(web, redirect_uri=uri)))
    from chalicelib.models import AuthorizationCodeModel

    assert AuthorizationCodeModel.count() == 0


def test_unknown_client_shows_error_page(browser: Browser, web: Any) -> None:
    assert_error_page(browser.get("/authorize", request(web, client_id="nope")))


def test_missing_redirect_uri_with_several_registered_shows_error_page(
    browser: Browser, web: Any
) -> None:
    params = request(web)
    params.pop("redirect_uri")
    assert_error_page(browser.get("/authorize", params))


def test_duplicated_parameter_is_rejected_on_the_error_page(browser: Browser, web: Any) -> None:
    response = browser.get(f"/authorize?client_id={web.client_id}&state=a&state=b")
    assert_error_page(response)


@pytest.mark.parametrize("uri", ["http://127.0.0.1:51234/callback", "http://[::1]:4000/cb"])
def test_loopback_redirect_uri_matches_on_any_port(browser: Browser, web: Any, uri: str) -> None:
    response = authorize(browser, **request(web, redirect_uri=uri))
    assert response.headers["Location"].startswith(uri + "?code=")


def test_every_response_carries_state_and_iss(browser: Browser, web: Any) -> None:
    result = answer(authorize(browser, **request(web)))
    assert result["state"] == "st-1" and result["iss"] == "https://auth.test"
    location = urlsplit(authorize(browser, **request(web)).headers["Location"])
    assert location.query.startswith("tenant=1&code=")  # the registered query is kept


@pytest.mark.parametrize(
    ("extra", "error"),
    [
        ({"request": "eyJ..."}, "request_not_supported"),
        ({"request_uri": "https://app.example/r"}, "request_uri_not_supported"),
        ({"response_type": "code bogus"}, "unsupported_response_type"),
        ({"response_type": "token"}, "unauthorized_client"),
        ({"scope": "openid admin"}, "invalid_scope"),
        ({"response_type": "id_token", "nonce": ""}, "invalid_request"),
        ({"response_type": "id_token", "scope": "profile"}, "invalid_request"),
        ({"response_mode": "query", "response_type": "code id_token"}, "invalid_request"),
        ({"response_mode": "bogus"}, "invalid_request"),
        ({"prompt": "none login"}, "invalid_request"),
        ({"max_age": "-1"}, "invalid_request"),
        ({"code_challenge": pkce_pair()[1], "code_challenge_method": "plain"}, "invalid_request"),
        ({"code_challenge": pkce_pair()[1]}, "invalid_request"),
        ({"code_challenge": "too-short", "code_challenge_method": "S256"}, "invalid_request"),
        ({"id_token_hint": "not-a-jwt"}, "invalid_request"),
        ({"prompt": "none"}, "login_required"),
    ],
)
def test_errors_after_the_redirect_uri_check_go_back_to_the_client(
    browser: Browser, web: Any, extra: dict[str, str], error: str
) -> None:
    result = answer(browser.get("/authorize", request(web, **extra)))
    assert result["error"] == error
    assert result["state"] == "st-1" and result["iss"] == "https://auth.test"


@pytest.mark.parametrize("max_age", ["\u00b2", "\u0663", "\uff11"])
def test_max_age_in_digits_other_than_ascii_is_invalid_request_not_server_error(
    browser: Browser, web: Any, max_age: str
) -> None:
    result = answer(browser.get("/authorize", request(web, max_age=max_age)))
    assert result["error"] == "invalid_request" and result["state"] == "st-1"


def test_token_response_errors_travel_in_the_fragment(browser: Browser, web: Any) -> None:
    response = browser.get(
        "/authorize", request(web, response_type="id_token token", prompt="none")
    )
    location = urlsplit(response.headers["Location"])
    assert "error=login_required" in location.fragment and not location.query.endswith("error")


def test_public_client_without_pkce_is_rejected(
    browser: Browser, make_client: Any, make_user: Any
) -> None:
    make_user()
    spa, _ = make_client(
        name="SPA", grant_types=["authorization_code"], redirect_uris=[REGISTERED],
        scope="openid", public=True,
    )  # fmt: skip
    result = answer(authorize(browser, **request(spa, scope="openid")))
    assert result["error"] == "invalid_request" and "code_challenge" in result["error_description"]


def test_plain_pkce_only_for_a_client_registered_for_it(
    browser: Browser, make_client: Any, make_user: Any
) -> None:
    make_user()
    legacy, _ = make_client(
        name="Legacy", grant_types=["authorization_code"], redirect_uris=[REGISTERED],
        scope="openid", allow_plain_pkce=True,
    )  # fmt: skip
    verifier, _ = pkce_pair()
    params = request(legacy, scope="openid", code_challenge=verifier, code_challenge_method="plain")
    assert "code" in answer(authorize(browser, **params))


def test_tokens_in_the_browser_need_allow_tokens_via_browser(
    browser: Browser, make_client: Any, make_user: Any
) -> None:
    make_user()
    client, _ = make_client(
        name="No tokens", grant_types=["implicit"], redirect_uris=[REGISTERED],
        response_types=["id_token token"], scope="openid",
    )  # fmt: skip
    params = request(client, response_type="id_token token", scope="openid")
    assert answer(browser.get("/authorize", params))["error"] == "unauthorized_client"


def test_id_token_only_response_carries_profile_claims_and_no_access_token(
    browser: Browser, web: Any
) -> None:
    result = answer(authorize(browser, **request(web, response_type="id_token")))
    assert set(result) == {"id_token", "state", "iss"}
    id_token = claims(result["id_token"])
    assert id_token["name"] == "Alice Example" and id_token["nonce"] == "n-1"
    assert {"auth_time", "sid", "amr", "azp"} <= set(id_token)


def test_implicit_id_token_token_has_at_hash_and_no_profile_claims(
    browser: Browser, web: Any
) -> None:
    result = answer(authorize(browser, **request(web, response_type="id_token token")))
    assert result["token_type"] == "Bearer"
    id_token = claims(result["id_token"])
    assert id_token["at_hash"] == left_half_sha256(result["access_token"])
    assert "name" not in id_token and "c_hash" not in id_token


def test_hybrid_code_id_token_has_c_hash(browser: Browser, web: Any) -> None:
    response = authorize(browser, **request(web, response_type="code id_token"))
    assert "#" in response.headers["Location"]
    result = answer(response)
    assert claims(result["id_token"])["c_hash"] == left_half_sha256(result["code"])


def test_form_post_renders_an_auto_submitting_form_with_a_button(
    browser: Browser, web: Any
) -> None:
    response = authorize(browser, **request(web, response_mode="form_post"))
    assert response.status_code == 200
    html = response.body.decode()
    assert 'action="https://app.example/cb?tenant=1"' in html
    assert 'type="submit"' in html and "document.forms[0].submit()" in html
    fields = hidden_fields(html)
    assert fields["state"] == "st-1" and fields["iss"] == "https://auth.test" and fields["code"]
    nonce = response.headers["Content-Security-Policy"].split("script-src 'nonce-")[1][:22]
    assert f'<script nonce="{nonce}">' in html
    assert response.headers["X-Frame-Options"] == "DENY"


def test_authorize_by_post_works_like_get(browser: Browser, web: Any) -> None:
    browser.login("alice", PASSWORD, return_to="/login")
    page = browser.post("/authorize", request(web))
    assert b'name="decision"' in page.body
    assert "code" in answer(browser.submit(page, decision="approve"))


def test_consent_names_the_client_lists_scopes_in_words_and_deny_is_access_denied(
    browser: Browser, web: Any
) -> None:
    browser.login("alice", PASSWORD, return_to="/login")
    page = browser.get("/authorize", request(web, scope="openid email"))
    html = page.body.decode()
    assert "Web app" in html and "See your email address" in html
    assert 'value="approve"' in html and 'value="deny"' in html and 'name="remember"' in html
    result = answer(browser.submit(page, decision="deny"))
    assert result["error"] == "access_denied" and result["state"] == "st-1"


@pytest.mark.parametrize("token", [None, "forged"])
def test_consent_csrf_token_missing_or_wrong_rerenders_the_form_and_grants_nothing(
    browser: Browser, web: Any, token: str | None
) -> None:
    browser.login("alice", PASSWORD, return_to="/login")
    page = browser.get("/authorize", request(web))
    fields = {**hidden_fields(page.body.decode()), "decision": "approve", "remember": "yes"}
    if token is None:
        fields.pop("csrf_token")
    else:
        fields["csrf_token"] = token
    response = browser.post("/consent", fields)
    assert response.status_code == 400 and b'name="decision"' in response.body
    assert "Location" not in response.headers
    from chalicelib.models import AuthorizationCodeModel, ConsentModel

    assert AuthorizationCodeModel.count() == 0 and ConsentModel.count() == 0


def test_remembered_consent_is_skipped_until_more_scopes_or_prompt_consent(
    browser: Browser, web: Any
) -> None:
    browser.login("alice", PASSWORD, return_to="/login")
    page = browser.get("/authorize", request(web))
    assert "code" in answer(browser.submit(page, decision="approve", remember="yes"))
    assert "code" in answer(browser.get("/authorize", request(web)))
    assert b'name="decision"' in browser.get("/authorize", request(web, scope="openid email")).body
    assert b'name="decision"' in browser.get("/authorize", request(web, prompt="consent")).body


def test_prompt_none_with_a_session_but_no_consent_is_consent_required(
    browser: Browser, web: Any
) -> None:
    browser.login("alice", PASSWORD, return_to="/login")
    assert answer(browser.get("/authorize", request(web, prompt="none")))["error"] == (
        "consent_required"
    )


def test_prompt_login_sends_a_signed_in_person_to_login_once(browser: Browser, web: Any) -> None:
    browser.login("alice", PASSWORD, return_to="/login")
    response = browser.get("/authorize", request(web, prompt="login", max_age="0"))
    assert "/login?" in response.headers["Location"]
    return_to = response.headers["Location"]
    assert "prompt" not in return_to and "max_age" not in return_to
    result = answer(authorize(browser, **request(web, prompt="login")))
    assert "code" in result


def test_max_age_0_sends_a_person_who_signed_in_this_very_second_to_login_again(
    browser: Browser, web: Any, monkeypatch: Any
) -> None:
    # Given a session started in the same second as the request (elapsed time 0)
    import chalicelib.endpoints.authorize as authorize_endpoint
    import chalicelib.models as models

    monkeypatch.setattr(models, "now", lambda: 1_800_000_000)
    monkeypatch.setattr(authorize_endpoint, "now", lambda: 1_800_000_000)
    browser.login("alice", PASSWORD, return_to="/login")
    # When the client asks for max_age=0 (OIDC Core §3.1.2.1: equivalent to prompt=login)
    response = browser.get("/authorize", request(web, max_age="0"))
    # Then the person must sign in again, and prompt=none cannot skip that
    assert response.status_code == 302 and "/login?" in response.headers["Location"]
    result = answer(browser.get("/authorize", request(web, max_age="0", prompt="none")))
    assert result["error"] == "login_required"


def test_disabled_user_with_a_live_session_must_sign_in_again(browser: Browser, web: Any) -> None:
    from chalicelib.records import users

    browser.login("alice", PASSWORD, return_to="/login")
    users.set_disabled("alice")
    assert answer(browser.get("/authorize", request(web, prompt="none")))["error"] == (
        "login_required"
    )


def test_id_token_hint_for_another_user_with_prompt_none_is_login_required(
    browser: Browser, web: Any, make_user: Any
) -> None:
    from chalicelib.models import now
    from chalicelib.tokens import id_tokens

    bob = make_user("bob")
    hint = id_tokens.issue_id_token(client=web, sub=bob.sub, auth_time=now(), now=now())
    browser.login("alice", PASSWORD, return_to="/login")
    result = answer(browser.get("/authorize", request(web, prompt="none", id_token_hint=hint)))
    assert result["error"] == "login_required"


def test_reflected_state_is_escaped_on_the_form_post_and_consent_pages(
    browser: Browser, web: Any
) -> None:
    evil = '"><script>alert(1)</script>'
    browser.login("alice", PASSWORD, return_to="/login")
    consent = browser.get("/authorize", request(web, state=evil)).body.decode()
    assert "<script>alert(1)" not in consent and "&#34;&gt;&lt;script&gt;" in consent
    posted = browser.submit(
        browser.get("/authorize", request(web, state=evil, response_mode="form_post")),
        decision="approve",
    )
    html = posted.body.decode()
    assert "<script>alert(1)" not in html and hidden_fields(html)["state"] == evil


def test_reflected_client_name_is_escaped_on_the_consent_page(
    browser: Browser, make_client: Any, make_user: Any
) -> None:
    make_user()
    client, _ = make_client(
        name='<img src=x onerror="alert(1)">', grant_types=["authorization_code"],
        redirect_uris=[REGISTERED], scope="openid",
    )  # fmt: skip
    browser.login("alice", PASSWORD, return_to="/login")
    html = browser.get("/authorize", request(client, scope="openid")).body.decode()
    assert "<img src=x" not in html and "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;" in html


def test_reflected_error_description_is_escaped_on_the_error_page(browser: Browser) -> None:
    response = browser.get("/authorize?%3Cscript%3Ex=1&%3Cscript%3Ex=2")
    html = response.body.decode()
    assert response.status_code == 400
    assert "<script>x" not in html and "&lt;script&gt;x" in html


def test_discovery_advertises_the_browser_flows(http: Any) -> None:
    import json

    meta = json.loads(http.get("/.well-known/openid-configuration").body)
    assert meta["authorization_endpoint"] == "https://auth.test/authorize"
    assert meta["userinfo_endpoint"] == "https://auth.test/userinfo"
    assert meta["end_session_endpoint"] == "https://auth.test/logout"
    assert "code id_token token" in meta["response_types_supported"]
    assert meta["response_modes_supported"] == ["query", "fragment", "form_post"]
    assert meta["code_challenge_methods_supported"] == ["S256"]
    assert meta["authorization_response_iss_parameter_supported"] is True
    assert meta["request_parameter_supported"] is False
    assert meta["request_uri_parameter_supported"] is False
    assert meta["subject_types_supported"] == ["public"]
    assert meta["id_token_signing_alg_values_supported"] == ["ES256", "RS256"]
    assert {"openid", "profile", "email"} <= set(meta["scopes_supported"])
    assert {"sub", "name", "email", "auth_time", "nonce"} <= set(meta["claims_supported"])
    assert "authorization_code" in meta["grant_types_supported"]
