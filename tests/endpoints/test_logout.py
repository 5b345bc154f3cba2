"""RP-initiated logout: confirmation, CSRF, id_token_hint, registered post-logout URIs only."""

from __future__ import annotations

from typing import Any

import pytest

from tests.helpers.browser import Browser, hidden_fields

PASSWORD = "correct horse battery"
AFTER = "https://app.example/signed-out"


@pytest.fixture
def signed_in(http: Any, make_user: Any) -> Browser:
    make_user()
    browser = Browser(http)
    assert browser.login("alice", PASSWORD, return_to="/login").status_code == 303
    return browser


@pytest.fixture
def web_client(make_client: Any) -> Any:
    client, _ = make_client(
        name="Web app",
        grant_types=["authorization_code"],
        redirect_uris=["https://app.example/cb"],
        post_logout_redirect_uris=[AFTER],
        scope="openid profile",
    )
    return client


def id_token_for(client: Any, browser_session: Any) -> str:
    from chalicelib.models import now
    from chalicelib.tokens import id_tokens

    return id_tokens.issue_id_token(
        client=client,
        sub=browser_session.sub,
        auth_time=browser_session.auth_time,
        now=now(),
        sid=browser_session.sid,
    )


def current_session(browser: Browser) -> Any:
    from chalicelib.pages import cookies

    class Request:
        headers = {"cookie": "; ".join(f"{k}={v}" for k, v in browser.cookies.items())}

    return cookies.from_request(Request()).session


def test_logout_without_hint_asks_first_and_a_csrf_checked_post_ends_the_session(
    signed_in: Browser,
) -> None:
    page = signed_in.get("/logout")
    assert page.status_code == 200 and "Sign out?" in page.body.decode()
    assert current_session(signed_in) is not None

    done = signed_in.submit(page)
    assert done.status_code == 200 and "Signed out" in done.body.decode()
    assert "__Host-gh_session" not in signed_in.cookies

    from chalicelib.models import SessionModel

    assert SessionModel.count() == 0


def test_logout_post_without_csrf_token_ends_nothing(signed_in: Browser) -> None:
    response = signed_in.post("/logout", {})
    assert response.status_code == 400 and "Sign out?" in response.body.decode()
    assert current_session(signed_in) is not None


def test_logout_with_hint_for_the_signed_in_user_returns_to_registered_uri_with_state(
    signed_in: Browser, web_client: Any
) -> None:
    hint = id_token_for(web_client, current_session(signed_in))
    response = signed_in.get(
        "/logout",
        {"id_token_hint": hint, "post_logout_redirect_uri": AFTER, "state": "s 1&x"},
    )
    assert response.status_code == 302
    assert response.headers["Location"] == f"{AFTER}?state=s+1%26x"
    assert current_session(signed_in) is None


@pytest.mark.parametrize(
    "uri", [AFTER + "?x=1", AFTER.upper(), "https://evil.example/", "https://app.example/cb"]
)
def test_unregistered_post_logout_redirect_uri_never_redirects(
    signed_in: Browser, web_client: Any, uri: str
) -> None:
    hint = id_token_for(web_client, current_session(signed_in))
    response = signed_in.get("/logout", {"id_token_hint": hint, "post_logout_redirect_uri": uri})
    assert response.status_code == 400
    assert "Location" not in response.headers
    assert response.headers["Content-Type"].startswith("text/html")
    assert current_session(signed_in) is not None


def test_post_logout_redirect_uri_without_a_client_is_refused(signed_in: Browser) -> None:
    response = signed_in.get("/logout", {"post_logout_redirect_uri": AFTER})
    assert response.status_code == 400 and "Location" not in response.headers


def test_forged_id_token_hint_is_refused(signed_in: Browser, web_client: Any) -> None:
    import jwt

    forged = jwt.encode({"iss": "https://auth.test", "sub": "x", "aud": "y"}, "k" * 32)
    response = signed_in.get("/logout", {"id_token_hint": forged})
    assert response.status_code == 400
    assert current_session(signed_in) is not None


def test_hint_for_another_user_asks_for_confirmation(
    signed_in: Browser, web_client: Any, make_user: Any
) -> None:
    from chalicelib.models import now
    from chalicelib.tokens import id_tokens

    bob = make_user("bob")
    hint = id_tokens.issue_id_token(client=web_client, sub=bob.sub, auth_time=now(), now=now())
    page = signed_in.get("/logout", {"id_token_hint": hint, "post_logout_redirect_uri": AFTER})
    assert page.status_code == 200 and "Sign out?" in page.body.decode()
    assert hidden_fields(page.body.decode())["post_logout_redirect_uri"] == AFTER
    done = signed_in.submit(page)
    assert done.status_code == 302 and done.headers["Location"] == AFTER


@pytest.mark.parametrize("alg", [["RS256"], {"RS256": 1}])
def test_id_token_hint_with_a_non_string_alg_is_refused_not_a_server_error(
    signed_in: Browser, alg: Any
) -> None:
    import base64
    import json

    def part(value: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    hint = f"{part({'alg': alg, 'kid': 'k'})}.{part({'sub': 'x'})}.AAAA"
    response = signed_in.get("/logout", {"id_token_hint": hint})
    assert response.status_code == 400 and "invalid_request" in response.body.decode()
    assert current_session(signed_in) is not None


def follow(browser: Browser, response: Any) -> Any:
    """A POST answered by a 303 to our own /logout, followed as a browser does."""
    assert response.status_code == 303, (response.status_code, response.body[:300])
    assert response.headers["Location"].startswith("https://auth.test/logout?")
    return browser.get(response.headers["Location"])


def test_rp_initiated_logout_by_post_with_hint_returns_to_registered_uri_with_state(
    signed_in: Browser, web_client: Any
) -> None:
    """RP-Initiated Logout 1.0 §2: the OP supports GET and POST at the logout endpoint."""
    hint = id_token_for(web_client, current_session(signed_in))
    form = {
        "id_token_hint": hint, "post_logout_redirect_uri": AFTER, "state": "s-1",
        "client_id": web_client.client_id,
    }  # fmt: skip
    response = follow(signed_in, signed_in.post("/logout", form))
    assert response.status_code == 302 and response.headers["Location"] == f"{AFTER}?state=s-1"
    assert current_session(signed_in) is None


def test_rp_initiated_logout_by_post_without_a_hint_asks_first_as_a_get_does(
    signed_in: Browser, web_client: Any
) -> None:
    """RP-Initiated Logout 1.0 §2, §6: a POST gives a cross-site page nothing a link doesn't."""
    form = {"client_id": web_client.client_id, "post_logout_redirect_uri": AFTER}
    page = follow(signed_in, signed_in.post("/logout", form))
    assert page.status_code == 200 and "Sign out?" in page.body.decode()
    assert current_session(signed_in) is not None
    done = signed_in.submit(page)
    assert done.status_code == 302 and done.headers["Location"] == AFTER
    assert current_session(signed_in) is None


def test_rp_initiated_logout_by_post_to_an_unregistered_uri_never_redirects(
    signed_in: Browser, web_client: Any
) -> None:
    """RP-Initiated Logout 1.0 §3: only a registered post_logout_redirect_uri is followed."""
    hint = id_token_for(web_client, current_session(signed_in))
    form = {"id_token_hint": hint, "post_logout_redirect_uri": "https://evil.example/"}
    response = signed_in.post("/logout", form)
    assert response.status_code == 400 and "Location" not in response.headers
    assert current_session(signed_in) is not None
