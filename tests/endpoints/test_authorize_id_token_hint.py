"""/authorize with `id_token_hint`: a code or token is issued only to the person the hint
names (OIDC Core §3.1.2.1), whether they were signed in already, sign in on the way, or
answer the consent form."""

from __future__ import annotations

from typing import Any

import pytest

from tests.helpers.browser import Browser
from tests.helpers.oidc import PASSWORD, answer

REDIRECT = "https://app.example/cb"


@pytest.fixture
def web(make_client: Any, make_user: Any) -> Any:
    make_user()
    make_user("bob", email="bob@example.com", name="Bob")
    client, _ = make_client(
        name="Web app",
        grant_types=["authorization_code"],
        redirect_uris=[REDIRECT],
        scope="openid profile",
    )
    return client


def hint_for(client: Any, username: str) -> str:
    from chalicelib.models import now
    from chalicelib.records import users
    from chalicelib.tokens import id_tokens

    sub = users.get_user(username).sub
    return id_tokens.issue_id_token(client=client, sub=sub, auth_time=now(), now=now())


def request(client: Any, **extra: str) -> dict[str, str]:
    return {
        "response_type": "code", "client_id": client.client_id, "redirect_uri": REDIRECT,
        "scope": "openid", "state": "st-1", **extra,
    }  # fmt: skip


def sign_in_on_the_way(browser: Browser, response: Any, username: str) -> Any:
    """Follow /authorize to the login page, sign in as `username`, come back."""
    assert response.status_code == 302 and "/login?" in response.headers["Location"]
    page = browser.get(response.headers["Location"])
    signed_in = browser.submit(page, username=username, password=PASSWORD)
    assert signed_in.status_code == 303, signed_in.body
    return browser.get(signed_in.headers["Location"])


def assert_login_required(response: Any) -> None:
    result = answer(response)
    assert result["error"] == "login_required" and "code" not in result
    assert result["state"] == "st-1" and result["iss"] == "https://auth.test"


def test_signing_in_as_another_person_than_the_id_token_hint_is_login_required(
    http: Any, web: Any
) -> None:
    """OIDC Core §3.1.2.1: the hinted person must be the one signed in, login or not."""
    browser = Browser(http)
    start = browser.get("/authorize", request(web, id_token_hint=hint_for(web, "alice")))
    assert_login_required(sign_in_on_the_way(browser, start, "bob"))


def test_prompt_login_then_another_person_than_the_id_token_hint_is_login_required(
    http: Any, web: Any
) -> None:
    browser = Browser(http)
    browser.login("alice", PASSWORD, return_to="/login")
    hinted = request(web, prompt="login", id_token_hint=hint_for(web, "alice"))
    assert_login_required(sign_in_on_the_way(browser, browser.get("/authorize", hinted), "bob"))


def test_existing_session_of_another_person_than_the_id_token_hint_is_login_required(
    http: Any, web: Any
) -> None:
    browser = Browser(http)
    browser.login("bob", PASSWORD, return_to="/login")
    hinted = request(web, id_token_hint=hint_for(web, "alice"))
    assert_login_required(browser.get("/authorize", hinted))


def test_consent_answered_after_switching_to_another_person_than_the_hint_is_login_required(
    http: Any, web: Any
) -> None:
    # Given alice, the hinted person, on the consent page
    browser = Browser(http)
    browser.login("alice", PASSWORD, return_to="/login")
    consent = browser.get("/authorize", request(web, id_token_hint=hint_for(web, "alice")))
    assert consent.status_code == 200 and b'name="decision"' in consent.body
    # When bob signs in in the same browser (another tab) and the consent form is approved
    browser.login("bob", PASSWORD, return_to="/login")
    # Then no code is issued for bob
    assert_login_required(browser.submit(consent, decision="approve"))


def test_signing_in_as_the_person_the_id_token_hint_names_gets_a_code(http: Any, web: Any) -> None:
    browser = Browser(http)
    start = browser.get("/authorize", request(web, id_token_hint=hint_for(web, "alice")))
    consent = sign_in_on_the_way(browser, start, "alice")
    result = answer(browser.submit(consent, decision="approve"))
    assert "code" in result and result["state"] == "st-1"
