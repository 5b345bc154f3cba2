"""One brute-force policy for passwords, whichever door a guess comes through."""

from __future__ import annotations

from typing import Any

from chalicelib.config import get_settings
from tests.helpers.browser import Browser
from tests.helpers.forms import PASSWORD
from tests.helpers.tokens import App, body, password_grant


def test_guesses_at_the_login_page_and_the_password_grant_count_against_one_limit(
    http: Any, user: Any, app: App
) -> None:
    # Given guesses at the login page, one short of the per-username limit
    browser = Browser(http)
    limit = get_settings().password_user_failure_limit
    for _ in range(limit - 1):
        assert browser.login("alice", "wrong password").status_code == 400
    # When one more guess comes through the password grant
    assert body(password_grant(http, app, password="wrong password"))["error"] == "invalid_grant"
    # Then the account is locked at both doors, even for the right password
    assert body(password_grant(http, app))["error"] == "invalid_grant"
    assert Browser(http).login("alice", PASSWORD).status_code == 429


def test_a_locked_account_gets_no_password_check_and_no_further_count(
    aws: None, user: Any, monkeypatch: Any
) -> None:
    from chalicelib.opaque import sha256_hex
    from chalicelib.records import password_attempts, ratelimit, users

    limit = get_settings().password_user_failure_limit
    for _ in range(limit):
        assert password_attempts.attempt("alice", "wrong", "192.0.2.1").user is None
    checked: list[str] = []
    monkeypatch.setattr(users, "check_password", lambda p, h: checked.append(p) or True)
    attempt = password_attempts.attempt("alice", PASSWORD, "192.0.2.1")
    assert (attempt.user, attempt.locked, checked) == (None, True, [])
    assert ratelimit.count_of(password_attempts.PER_USER, sha256_hex("alice")) == limit


def test_counters_hold_no_usernames(aws: None, user: Any) -> None:
    from chalicelib.models import CounterModel
    from chalicelib.records import password_attempts

    password_attempts.attempt("alice", "wrong", "192.0.2.1")
    keys = [record.key for record in CounterModel.scan()]
    assert keys and not any("alice" in key for key in keys)
