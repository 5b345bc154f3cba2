"""Signing in with a second factor through the app: the step after the password, its
brute-force policy, recovery codes, step-up for clients that require it, and amr/acr in
the tokens. TOTP codes come from a frozen clock."""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any

import jwt
import pytest

from chalicelib.records import assurance, totp, users
from tests.helpers.browser import Browser, set_cookie_values
from tests.helpers.forms import PASSWORD
from tests.helpers.mfa import code_at, enrol_totp, secret_of
from tests.helpers.oidc import REDIRECT, answer, exchange, pkce_pair

SESSION = "__Host-gh_session"
SIGN_IN = "__Host-gh_signin"


@pytest.fixture
def signed_in(http: Any, user: Any, clock: SimpleNamespace) -> Browser:
    browser = Browser(http)
    assert browser.login("alice", PASSWORD).status_code == 303
    return browser


@pytest.fixture
def secret(signed_in: Browser, clock: SimpleNamespace) -> str:
    """alice's authenticator app, enrolled through /account/security; then signed out."""
    key, _ = enrol_totp(signed_in, clock.at)
    clock.advance(60)  # the confirming code's step is now behind the window
    return key


def password_step(http: Any) -> tuple[Browser, Any]:
    browser = Browser(http)
    return browser, browser.login("alice", PASSWORD, return_to="/login")


def claims(token: str) -> dict[str, Any]:
    return jwt.decode(token, options={"verify_signature": False})


def test_a_right_password_asks_for_the_code_and_makes_no_session(http: Any, secret: str) -> None:
    browser, page = password_step(http)
    assert page.status_code == 200
    html = page.body.decode()
    assert 'name="otp"' in html and 'name="recovery_code"' in html
    assert SESSION not in browser.cookies and SIGN_IN in browser.cookies
    line = next(c for c in set_cookie_values(page) if c.startswith(SIGN_IN + "="))
    assert "HttpOnly" in line and "Secure" in line and "Max-Age=300" in line


def test_a_wrong_password_looks_the_same_with_or_without_a_second_factor(
    http: Any, secret: str, make_user: Any
) -> None:
    make_user("bob")
    with_factor = Browser(http).login("alice", "wrong password")
    without = Browser(http).login("bob", "wrong password")
    assert with_factor.status_code == without.status_code == 400
    assert b"otp" not in with_factor.body
    strip = lambda body: body.decode().replace("alice", "x").replace("bob", "x")  # noqa: E731
    assert len(strip(with_factor.body)) == len(strip(without.body))


def test_the_right_code_makes_a_session_that_names_both_factors(
    http: Any, secret: str, clock: SimpleNamespace
) -> None:
    browser, page = password_step(http)
    done = browser.submit(page, otp=code_at(secret, clock.at))
    assert done.status_code == 303 and done.headers["Location"].endswith("/login")
    assert SESSION in browser.cookies and SIGN_IN not in browser.cookies
    from chalicelib.records import sessions

    session = sessions.load(browser.cookies[SESSION])
    assert session.amr == ("pwd", "otp", "mfa")


def test_a_wrong_code_asks_again_and_the_right_one_still_works(
    http: Any, secret: str, clock: SimpleNamespace
) -> None:
    browser, page = password_step(http)
    right = code_at(secret, clock.at)
    wrong = f"{(int(right) + 1) % 10**6:06d}"
    again = browser.submit(page, otp=wrong)
    assert again.status_code == 400 and b"not right" in again.body
    assert SESSION not in browser.cookies
    assert browser.submit(again, otp=right).status_code == 303


def test_a_used_code_is_refused(http: Any, secret: str, clock: SimpleNamespace) -> None:
    code = code_at(secret, clock.at)
    browser, page = password_step(http)
    assert browser.submit(page, otp=code).status_code == 303
    other, page = password_step(http)
    assert other.submit(page, otp=code).status_code == 400
    assert SESSION not in other.cookies


def test_entering_the_password_again_does_not_reset_the_count_of_wrong_codes(
    http: Any, secret: str, clock: SimpleNamespace
) -> None:
    wrong = f"{(int(code_at(secret, clock.at)) + 1) % 10**6:06d}"
    statuses = []
    for _ in range(6):
        browser, page = password_step(http)
        if page.status_code == 429:
            statuses.append(429)
            break
        statuses.append(browser.submit(page, otp=wrong).status_code)
    assert 429 in statuses, statuses


def test_too_many_wrong_codes_are_refused_with_retry_after(
    http: Any, secret: str, clock: SimpleNamespace
) -> None:
    browser, page = password_step(http)
    right = code_at(secret, clock.at)
    wrong = f"{(int(right) + 1) % 10**6:06d}"
    for _ in range(10):
        page = browser.submit(page, otp=wrong)
        if page.status_code == 429:
            break
    assert page.status_code == 429 and int(page.headers["Retry-After"]) > 0
    assert browser.submit(page, otp=right).status_code == 429  # even the right one waits
    clock.advance(int(page.headers["Retry-After"]))
    assert browser.submit(page, otp=right).status_code == 303


def test_a_recovery_code_signs_in_once(
    http: Any, signed_in: Browser, clock: SimpleNamespace
) -> None:
    _, codes = enrol_totp(signed_in, clock.at)
    assert len(codes) == 10 and len(set(codes)) == 10
    browser, page = password_step(http)
    done = browser.post("/login", {**_fields(page), "recovery_code": codes[0].upper()})
    assert done.status_code == 303
    assert users.get_user("alice").recovery_codes.__len__() == 9
    again, page = password_step(http)
    refused = again.post("/login", {**_fields(page), "recovery_code": codes[0]})
    assert refused.status_code == 400 and SESSION not in again.cookies


def test_a_sign_in_left_too_long_starts_again(
    http: Any, secret: str, clock: SimpleNamespace
) -> None:
    browser, page = password_step(http)
    clock.advance(301)
    answer_page = browser.submit(page, otp=code_at(secret, clock.at))
    assert answer_page.status_code == 400 and b"took too long" in answer_page.body
    assert SESSION not in browser.cookies and b'name="password"' in answer_page.body


def test_the_second_factor_form_without_a_sign_in_in_progress_makes_no_session(
    http: Any, secret: str, clock: SimpleNamespace
) -> None:
    browser = Browser(http)
    response = browser.post("/login", {"step": "second-factor", "otp": "123456"})
    assert response.status_code == 400 and SESSION not in browser.cookies


def test_a_sign_in_in_progress_is_spent_once(
    http: Any, signed_in: Browser, clock: SimpleNamespace
) -> None:
    _, codes = enrol_totp(signed_in, clock.at)
    browser, page = password_step(http)
    fields = _fields(page)
    assert browser.post("/login", {**fields, "recovery_code": codes[0]}).status_code == 303
    browser.cookies.pop(SESSION)
    browser.cookies[SIGN_IN] = page_cookie(page)
    replay = browser.post("/login", {**fields, "recovery_code": codes[1]})
    assert replay.status_code == 400 and SESSION not in browser.cookies


def page_cookie(page: Any) -> str:
    line = next(c for c in set_cookie_values(page) if c.startswith(SIGN_IN + "="))
    return line.split(";")[0].split("=", 1)[1]


def _fields(page: Any) -> dict[str, str]:
    from tests.helpers.browser import hidden_fields

    return hidden_fields(page.body.decode())


# --- the password grant -------------------------------------------------------------


def test_the_password_grant_refuses_a_person_with_a_second_factor(
    http: Any, secret: str, make_app: Any
) -> None:
    from tests.helpers.tokens import password_grant

    app = make_app()
    refused = password_grant(http, app, username="alice", password=PASSWORD)
    assert refused.status_code == 400
    body = json.loads(refused.body)
    assert body["error"] == "invalid_grant" and "second factor" in body["error_description"]
    wrong = json.loads(password_grant(http, app, username="alice", password="nope").body)
    assert wrong["error"] == "invalid_grant" and "second factor" not in wrong["error_description"]


# --- clients that require it, acr_values, prompt=login --------------------------------


@pytest.fixture
def make_web(make_client: Any) -> Any:
    def make(**extra: Any) -> tuple[Any, str]:
        return make_client(
            name="Payroll",
            grant_types=["authorization_code", "refresh_token"],
            redirect_uris=[REDIRECT],
            scope="openid profile offline_access",
            **extra,
        )

    return make


def auth_request(client: Any, challenge: str, **extra: str) -> dict[str, str]:
    return {
        "response_type": "code",
        "client_id": client.client_id,
        "redirect_uri": REDIRECT,
        "scope": "openid offline_access",
        "state": "s",
        "nonce": "n",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        **extra,
    }


def through_consent(browser: Browser, response: Any) -> Any:
    if response.status_code == 303:
        response = browser.get(response.headers["Location"])
    if response.status_code == 200 and b'name="decision"' in response.body:
        response = browser.submit(response, decision="approve")
    return response


def test_a_client_that_requires_mfa_gets_a_code_only_after_the_second_factor(
    http: Any, signed_in: Browser, make_web: Any, clock: SimpleNamespace
) -> None:
    user = users.get_user("alice")
    key = secret_of(totp.start(user).uri)  # enrolled behind the session's back: pwd only
    assert totp.confirm(users.get_user("alice"), code_at(key, clock.at))
    clock.advance(60)
    client, secret = make_web(require_mfa=True)
    verifier, challenge = pkce_pair()
    asked = signed_in.get("/authorize", auth_request(client, challenge))
    assert asked.status_code == 200 and b'name="otp"' in asked.body  # no code yet
    done = signed_in.submit(asked, otp=code_at(key, clock.at))
    assert done.status_code == 303 and "/authorize?" in done.headers["Location"]
    code = answer(through_consent(signed_in, signed_in.get(done.headers["Location"])))["code"]
    tokens = json.loads(exchange(http, client, secret, code, code_verifier=verifier).body)
    id_token, access = claims(tokens["id_token"]), claims(tokens["access_token"])
    for token in (id_token, access):
        assert token["amr"] == ["pwd", "otp", "mfa"] and token["acr"] == assurance.ACR_MFA
    refreshed = json.loads(_post_refresh(http, client, secret, tokens["refresh_token"]).body)
    assert claims(refreshed["id_token"])["amr"] == ["pwd", "otp", "mfa"]
    assert claims(refreshed["access_token"])["acr"] == assurance.ACR_MFA


def _post_refresh(http: Any, client: Any, secret: str, token: str) -> Any:
    from tests.helpers.forms import basic, post_form

    data = {"grant_type": "refresh_token", "refresh_token": token}
    return post_form(http, "/token", data, basic(client.client_id, secret))


def test_with_prompt_none_a_client_that_requires_mfa_gets_login_required(
    signed_in: Browser, make_web: Any
) -> None:
    client, _ = make_web(require_mfa=True)
    _, challenge = pkce_pair()
    response = signed_in.get("/authorize", auth_request(client, challenge, prompt="none"))
    assert answer(response)["error"] == "login_required"


def test_a_person_without_a_factor_is_sent_to_set_one_up_then_continues(
    http: Any, signed_in: Browser, make_web: Any, clock: SimpleNamespace
) -> None:
    client, _ = make_web(require_mfa=True)
    _, challenge = pkce_pair()
    sent = signed_in.get("/authorize", auth_request(client, challenge))
    assert sent.status_code == 303 and "/account/security?return_to=" in sent.headers["Location"]
    page = signed_in.get(sent.headers["Location"])
    assert b'id="must-enrol"' in page.body
    started = signed_in.submit(page)  # the first form: set up an authenticator app
    key = secret_of(_uri(started))
    codes_page = signed_in.submit(started, otp=code_at(key, clock.at))
    assert b'id="recovery-codes"' in codes_page.body
    onward = _continue_link(codes_page)
    assert onward.startswith("https://auth.test/authorize?")
    response = through_consent(signed_in, signed_in.get(onward))
    assert "code" in answer(response)


def _uri(page: Any) -> str:
    from tests.helpers.mfa import otpauth_uri

    return otpauth_uri(page.body.decode())


def _continue_link(page: Any) -> str:
    import re
    from html import unescape

    found = re.search(r'href="([^"]+)" id="continue"', page.body.decode())
    assert found
    return unescape(found.group(1))


def test_acr_values_steps_up_a_person_who_has_a_factor(
    signed_in: Browser, make_web: Any, clock: SimpleNamespace
) -> None:
    key = secret_of(totp.start(users.get_user("alice")).uri)
    assert totp.confirm(users.get_user("alice"), code_at(key, clock.at))
    client, _ = make_web()
    _, challenge = pkce_pair()
    plain = through_consent(signed_in, signed_in.get("/authorize", auth_request(client, challenge)))
    assert "code" in answer(plain)  # no acr asked: the password session is enough
    asked = signed_in.get(
        "/authorize", auth_request(client, challenge, acr_values=assurance.ACR_MFA)
    )
    assert asked.status_code == 200 and b'name="otp"' in asked.body


def test_acr_values_for_a_person_without_a_factor_is_answered_single_factor(
    http: Any, signed_in: Browser, make_web: Any
) -> None:
    client, secret = make_web()
    verifier, challenge = pkce_pair()
    request = auth_request(client, challenge, acr_values=assurance.ACR_MFA)
    code = answer(through_consent(signed_in, signed_in.get("/authorize", request)))["code"]
    tokens = json.loads(exchange(http, client, secret, code, code_verifier=verifier).body)
    assert claims(tokens["id_token"])["acr"] == assurance.ACR_SINGLE
    assert claims(tokens["id_token"])["amr"] == ["pwd"]


def test_prompt_login_asks_for_the_second_factor_again(
    http: Any, secret: str, make_web: Any, clock: SimpleNamespace
) -> None:
    browser, page = password_step(http)
    assert browser.submit(page, otp=code_at(secret, clock.at)).status_code == 303
    clock.advance(30)
    client, _ = make_web()
    _, challenge = pkce_pair()
    sent = browser.get("/authorize", auth_request(client, challenge, prompt="login"))
    assert "/login?" in sent.headers["Location"]
    login = browser.get(sent.headers["Location"])
    step = browser.submit(login, username="alice", password=PASSWORD)
    assert step.status_code == 200 and b'name="otp"' in step.body


def test_discovery_advertises_the_acr_values(http: Any) -> None:
    metadata = json.loads(http.get("/.well-known/openid-configuration").body)
    assert metadata["acr_values_supported"] == [assurance.ACR_SINGLE, assurance.ACR_MFA]
    assert {"acr", "amr"} <= set(metadata["claims_supported"])


# --- the device flow -------------------------------------------------------------------


def test_a_device_client_that_requires_mfa_steps_the_session_up_and_its_tokens_say_so(
    http: Any, signed_in: Browser, make_client: Any, clock: SimpleNamespace
) -> None:
    from tests.helpers.device import DEVICE_GRANT, poll, start_flow

    key = secret_of(totp.start(users.get_user("alice")).uri)  # the session stays pwd-only
    assert totp.confirm(users.get_user("alice"), code_at(key, clock.at))
    clock.advance(60)
    tv, _ = make_client(
        name="Bank TV", grant_types=[DEVICE_GRANT], public=True, scope="openid",
        require_mfa=True,
    )  # fmt: skip
    flow = start_flow(http, tv.client_id, scope="openid")
    asked = signed_in.submit(signed_in.get("/device"), user_code=flow["user_code"])
    assert asked.status_code == 200 and b'name="otp"' in asked.body  # no confirmation yet
    back = signed_in.submit(asked, otp=code_at(key, clock.at))
    assert back.status_code == 303 and "/device?user_code=" in back.headers["Location"]
    page = signed_in.get(back.headers["Location"])
    assert flow["user_code"].encode() in page.body  # the code form, prefilled
    confirm = signed_in.submit(page, user_code=flow["user_code"])
    assert b'value="approve"' in confirm.body
    assert signed_in.submit(confirm, decision="approve").status_code == 200
    status, body = poll(http, tv.client_id, flow["device_code"])
    assert status == 200, body
    assert claims(body["id_token"])["amr"] == ["pwd", "otp", "mfa"]
    assert claims(body["access_token"])["acr"] == assurance.ACR_MFA


def test_introspection_reports_how_the_person_signed_in(
    http: Any, user: Any, make_app: Any
) -> None:
    from tests.helpers.tokens import body, introspect, password_grant

    app = make_app()
    token = body(password_grant(http, app))["access_token"]
    members = introspect(http, app, token)
    assert members["active"] and members["amr"] == ["pwd"]
    assert members["acr"] == assurance.ACR_SINGLE
