"""/account/security through the app: who may see it, when changes need a fresh sign-in,
CSRF, the enrolment page, recovery codes, and removing factors."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from chalicelib.records import recovery_codes, second_factors, users
from tests.helpers.browser import Browser, hidden_fields
from tests.helpers.forms import PASSWORD
from tests.helpers.mfa import account_action, code_at, enrol_totp, otpauth_uri, secret_of
from tests.test_admin import admin


@pytest.fixture
def signed_in(http: Any, user: Any, clock: SimpleNamespace) -> Browser:
    browser = Browser(http)
    assert browser.login("alice", PASSWORD).status_code == 303
    return browser


def test_without_a_session_the_page_sends_to_sign_in_and_back(http: Any, user: Any) -> None:
    response = Browser(http).get("/account/security")
    assert response.status_code == 303
    assert "/login?return_to=%2Faccount%2Fsecurity" in response.headers["Location"]


def test_the_page_is_framed_by_no_one_and_shows_no_factor_yet(signed_in: Browser) -> None:
    page = signed_in.get("/account/security")
    assert page.status_code == 200 and page.headers["X-Frame-Options"] == "DENY"
    html = page.body.decode()
    assert "No authenticator app is set up." in html and "No passkeys yet." in html
    assert 'id="passkey-add"' in html  # a fresh session may add one


def test_enrolment_shows_the_uri_as_text_and_a_qr_code(signed_in: Browser) -> None:
    page = account_action(signed_in, "totp-start")
    html = page.body.decode()
    uri = otpauth_uri(html)
    assert uri.startswith("otpauth://totp/") and "<svg" in html and 'name="otp"' in html
    assert secret_of(uri) in html  # the key to type by hand
    assert "script" not in html.split("<svg", 1)[1].split("</svg>", 1)[0]


def test_a_wrong_confirmation_code_shows_the_same_enrolment_again(
    signed_in: Browser, clock: SimpleNamespace
) -> None:
    page = account_action(signed_in, "totp-start")
    uri = otpauth_uri(page.body.decode())
    wrong = f"{(int(code_at(secret_of(uri), clock.at)) + 1) % 10**6:06d}"
    again = signed_in.submit(page, otp=wrong)
    assert again.status_code == 400 and otpauth_uri(again.body.decode()) == uri
    assert not second_factors.enrolled(users.get_user("alice"))


def test_the_first_factor_brings_recovery_codes_shown_once_and_stored_hashed(
    signed_in: Browser, clock: SimpleNamespace
) -> None:
    _, codes = enrol_totp(signed_in, clock.at)
    stored = users.get_user("alice").recovery_codes
    assert len(stored) == 10 and not set(codes) & stored
    page = signed_in.get("/account/security").body.decode()
    assert "10 unused recovery codes left" in page and codes[0] not in page


def test_new_recovery_codes_replace_the_old_ones(
    signed_in: Browser, clock: SimpleNamespace
) -> None:
    _, old = enrol_totp(signed_in, clock.at)
    page = account_action(signed_in, "recovery-regenerate")
    assert page.status_code == 200
    user = users.get_user("alice")
    assert not recovery_codes.use(user, old[0])
    fresh = page.body.decode().split('id="recovery-codes"', 1)[1]
    first = fresh.split("<code>", 1)[1].split("</code>", 1)[0]
    assert recovery_codes.use(users.get_user("alice"), first)


def test_changes_need_a_sign_in_from_the_last_five_minutes(
    signed_in: Browser, clock: SimpleNamespace
) -> None:
    clock.advance(301)
    page = signed_in.get("/account/security")
    assert b'id="reauth"' in page.body and b"totp-start" not in page.body
    token = hidden_fields(page.body.decode()).get("csrf_token")
    assert token is None  # no change form on a stale page
    forced = signed_in.post(
        "/account/security",
        {"csrf_token": _csrf(signed_in), "action": "totp-start"},
    )
    assert forced.status_code == 303 and "/login?return_to=" in forced.headers["Location"]
    assert users.get_user("alice").totp_pending is None


def _csrf(browser: Browser) -> str:
    from chalicelib.pages.cookies import csrf_token

    secret = browser.cookies["__Host-gh_csrf"]
    return csrf_token(SimpleNamespace(csrf_secret=secret), "account")


def test_a_change_without_the_csrf_token_changes_nothing(signed_in: Browser) -> None:
    response = signed_in.post("/account/security", {"action": "totp-start"})
    assert response.status_code == 400 and b"expired" in response.body
    assert users.get_user("alice").totp_pending is None


def test_an_unknown_action_is_a_clear_error(signed_in: Browser) -> None:
    response = account_action(signed_in, "make-me-admin")
    assert response.status_code == 400 and b"Unknown action" in response.body


def test_removing_the_app_removes_its_recovery_codes_too(
    signed_in: Browser, clock: SimpleNamespace
) -> None:
    enrol_totp(signed_in, clock.at)
    assert account_action(signed_in, "totp-remove").status_code == 303
    user = users.get_user("alice")
    assert not second_factors.enrolled(user) and not user.recovery_codes


def test_a_person_who_must_have_a_factor_cannot_remove_the_last_one(
    signed_in: Browser, clock: SimpleNamespace
) -> None:
    enrol_totp(signed_in, clock.at)
    second_factors.set_required("alice", True)
    refused = account_action(signed_in, "totp-remove")
    assert refused.status_code == 400 and b"requires a second factor" in refused.body
    assert second_factors.enrolled(users.get_user("alice"))


def test_removing_a_passkey_that_is_not_yours_is_refused(signed_in: Browser) -> None:
    response = account_action(signed_in, "passkey-remove", credential_id="not-mine")
    assert response.status_code == 400 and b"no such passkey" in response.body


def test_a_person_who_must_have_a_factor_enrols_right_after_the_password(
    http: Any, user: Any
) -> None:
    second_factors.set_required("alice", True)
    response = Browser(http).login("alice", PASSWORD, return_to="/login")
    assert response.status_code == 303
    assert "/account/security?return_to=%2Flogin" in response.headers["Location"]


def test_admin_mfa_reset_removes_every_factor_and_require_is_shown(
    signed_in: Browser, clock: SimpleNamespace
) -> None:
    enrol_totp(signed_in, clock.at)
    code, view = admin("user", "mfa", "require", "--username", "alice")
    assert code == 0 and view["mfa"]["required"] and view["mfa"]["authenticator_app"]
    code, view = admin("user", "mfa", "reset", "--username", "alice")
    assert code == 0
    assert view["mfa"] == {
        "required": True,
        "authenticator_app": False,
        "passkeys": 0,
        "recovery_codes": 0,
    }
    code, _ = admin("user", "mfa", "reset", "--username", "nobody")
    assert code != 0
