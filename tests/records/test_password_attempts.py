"""The brute-force policy for passwords (RFC 9700 §4.16, NIST SP 800-63B §5.2.2), one for
the login page and the password grant: device cookies, per-account backoff and daily bound,
per-source backoff."""

from __future__ import annotations

import re
from typing import Any

import pytest

from chalicelib.config import get_settings
from tests.helpers.browser import Browser, set_cookie_values
from tests.helpers.forms import PASSWORD
from tests.helpers.sources import send_from
from tests.helpers.tokens import App, body, password_grant

DEVICE_COOKIE = "__Host-gh_device"


def wait_in(response: Any) -> int:
    """The seconds a refusal asks to wait ("Try again in N seconds")."""
    found = re.search(r"[Tt]ry again in (\d+) seconds?", response.body.decode())
    assert found, response.body.decode()
    return int(found.group(1))


def backoff_free() -> int:
    return get_settings().password_backoff_after


def guess_until_refused(browser: Browser, username: str = "alice") -> Any:
    """Wrong passwords until the policy refuses one (without moving the clock)."""
    for _ in range(backoff_free() + 1):
        response = browser.login(username, "wrong password")
        if response.status_code == 429:
            return response
    raise AssertionError("never refused")


@pytest.fixture
def trusted(http: Any, user: Any) -> Browser:
    """alice's own browser: she signed in from it before, then signed out."""
    browser = Browser(http)
    assert browser.login("alice", PASSWORD).status_code == 303
    assert browser.submit(browser.get("/login")).status_code == 200  # the sign-out form
    assert "__Host-gh_session" not in browser.cookies and DEVICE_COOKIE in browser.cookies
    return browser


def test_a_sign_in_sets_a_long_lived_httponly_secure_lax_host_device_cookie(
    http: Any, user: Any
) -> None:
    response = Browser(http).login("alice", PASSWORD)
    (line,) = [c for c in set_cookie_values(response) if c.startswith(DEVICE_COOKIE + "=")]
    attributes = {a.strip() for a in line.split(";")}
    assert {"HttpOnly", "Secure", "SameSite=Lax", "Path=/"} <= attributes
    assert f"Max-Age={get_settings().device_cookie_lifetime}" in attributes
    assert get_settings().device_cookie_lifetime >= 30 * 86400


def test_the_owner_with_a_device_cookie_signs_in_while_their_username_is_under_attack(
    http: Any, trusted: Browser, clock: Any
) -> None:
    # Given an attacker whose guesses at alice's username are now being refused
    attacker = Browser(http)
    assert guess_until_refused(attacker).status_code == 429
    # Then alice, in the browser she signed in from before, still gets in
    assert trusted.login("alice", PASSWORD).status_code == 303
    # and the attacker's next right guess is still refused (no password check in a wait)
    assert attacker.login("alice", PASSWORD).status_code == 429


def test_without_a_device_cookie_the_owner_waits_like_everyone_untrusted(
    http: Any, user: Any, clock: Any
) -> None:
    guess_until_refused(Browser(http))
    response = Browser(http).login("alice", PASSWORD)
    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) == wait_in(response) > 0
    clock.advance(wait_in(response))
    assert Browser(http).login("alice", PASSWORD).status_code == 303


def test_a_device_cookie_of_another_username_or_a_forged_one_is_untrusted(
    http: Any, trusted: Browser, make_user: Any, clock: Any
) -> None:
    make_user("bob")
    guess_until_refused(Browser(http), "bob")
    assert trusted.login("bob", PASSWORD).status_code == 429
    forged = Browser(http)
    forged.cookies[DEVICE_COOKIE] = "A" * len(trusted.cookies[DEVICE_COOKIE])
    guess_until_refused(Browser(http))
    assert forged.login("alice", PASSWORD).status_code == 429


def test_failures_from_a_trusted_browser_back_off_in_that_browsers_own_bucket(
    http: Any, trusted: Browser, clock: Any
) -> None:
    assert guess_until_refused(trusted).status_code == 429
    assert trusted.login("alice", PASSWORD).status_code == 429
    # the untrusted bucket of the username was never charged
    assert Browser(http).login("alice", PASSWORD).status_code == 303


def test_backoff_doubles_after_the_free_failures_and_resets_after_a_success(
    http: Any, user: Any, clock: Any
) -> None:
    browser = Browser(http)
    for _ in range(backoff_free()):
        assert browser.login("alice", "wrong password").status_code == 400
    waits = []
    for _ in range(4):
        refused = browser.login("alice", "wrong password")
        assert refused.status_code == 429
        waits.append(wait_in(refused))
        clock.advance(waits[-1])
        assert browser.login("alice", "wrong password").status_code == 400
    assert waits == [2, 4, 8, 16]
    # A right password after the wait resets the count: the free failures are back
    clock.advance(32)
    assert Browser(http).login("alice", PASSWORD).status_code == 303
    for _ in range(backoff_free()):
        assert browser.login("alice", "wrong password").status_code == 400


def test_backoff_waits_are_capped(http: Any, user: Any, clock: Any, settings_env: Any) -> None:
    settings_env(PASSWORD_BACKOFF_AFTER="1", PASSWORD_BACKOFF_CAP="5")
    browser = Browser(http)
    for _ in range(6):
        assert browser.login("alice", "wrong password").status_code == 400
        clock.advance(5)
    assert browser.login("alice", "wrong password").status_code == 400
    assert wait_in(browser.login("alice", "wrong password")) == 5


def test_untrusted_guesses_at_one_account_are_bounded_per_day(
    http: Any, user: Any, app: App, clock: Any
) -> None:
    # NIST SP 800-63B §5.2.2: no more than 100 consecutive failed attempts on an account
    # Given as many wrong passwords as a day allows, each sent as soon as backoff allows
    settings = get_settings()
    assert settings.password_daily_failure_limit <= 100
    started = clock.at
    for failures in range(1, settings.password_daily_failure_limit + 1):
        refused = body(password_grant(http, app, password="guess"))
        assert refused["error_description"] == "Invalid username or password", failures
        excess = failures - settings.password_backoff_after + 1
        clock.advance(min(2**excess, settings.password_backoff_cap) if excess > 0 else 0)
    # Then even the right password is refused, waits capped or not, until the day has passed
    clock.advance(settings.password_backoff_cap)
    refused = body(password_grant(http, app))
    assert refused["error"] == "invalid_grant" and "Try again in" in refused["error_description"]
    clock.advance(started + 86400 - clock.at)
    assert password_grant(http, app).status_code == 200


def test_the_password_grant_counts_in_the_same_untrusted_bucket_as_the_login_page(
    http: Any, user: Any, app: App, clock: Any
) -> None:
    browser = Browser(http)
    for _ in range(backoff_free()):
        assert browser.login("alice", "wrong password").status_code == 400
    refused = body(password_grant(http, app))
    assert refused == {
        "error": "invalid_grant",
        "error_description": "Too many failed attempts. Try again in 2 seconds.",
    }


def test_a_source_with_many_failures_never_refuses_a_right_password_from_a_trusted_browser(
    http: Any, trusted: Browser, make_user: Any, settings_env: Any, clock: Any
) -> None:
    # Given many wrong passwords for many usernames from alice's own address (a shared NAT)
    settings_env(PASSWORD_SOURCE_BACKOFF_AFTER="4")
    make_user("bob")
    attacker = Browser(http)
    for n in range(4):
        assert attacker.login(f"user-{n}", "guess").status_code == 400
    # Then the source is slowed: an untrusted right password from it waits, even bob's
    assert attacker.login("user-9", "guess").status_code == 429
    assert Browser(http).login("bob", PASSWORD).status_code == 429
    # but alice's trusted browser at the same source gets in at once
    assert trusted.login("alice", PASSWORD).status_code == 303


def test_one_sources_failures_do_not_slow_another_source(
    http: Any, user: Any, settings_env: Any, monkeypatch: pytest.MonkeyPatch, clock: Any
) -> None:
    settings_env(PASSWORD_SOURCE_BACKOFF_AFTER="2")
    send_from(monkeypatch, "198.51.100.7")
    for n in range(3):
        Browser(http).login(f"user-{n}", "guess")
    assert Browser(http).login("alice", PASSWORD).status_code == 429
    send_from(monkeypatch, "203.0.113.9")
    assert Browser(http).login("alice", PASSWORD).status_code == 303


def test_ipv6_addresses_in_one_64_share_the_password_source_counter(
    http: Any, user: Any, app: App, settings_env: Any, monkeypatch: pytest.MonkeyPatch, clock: Any
) -> None:
    settings_env(PASSWORD_SOURCE_BACKOFF_AFTER="2")
    for n in range(2):
        send_from(monkeypatch, f"2001:db8:7:7::{n + 1}")
        password_grant(http, app, username=f"user-{n}", password="guess")
    send_from(monkeypatch, "2001:db8:7:7:1:2:3:4")
    assert password_grant(http, app).status_code == 400
    send_from(monkeypatch, "2001:db8:7:8::1")
    assert password_grant(http, app).status_code == 200


def test_a_refused_attempt_gets_no_password_check_and_no_further_count(
    aws: None, user: Any, clock: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from chalicelib.opaque import sha256_hex
    from chalicelib.records import password_attempts, ratelimit, users

    for _ in range(backoff_free()):
        assert password_attempts.attempt("alice", "wrong", "192.0.2.1").user is None
    checked: list[str] = []
    monkeypatch.setattr(users, "check_password", lambda p, h: checked.append(p) or True)
    attempt = password_attempts.attempt("alice", PASSWORD, "192.0.2.1")
    assert (attempt.user, attempt.retry_after, checked) == (None, 2, [])
    assert ratelimit.count_of(password_attempts.PER_USER, sha256_hex("alice")) == backoff_free()


def test_counters_hold_no_usernames_and_no_device_cookies(http: Any, trusted: Browser) -> None:
    from chalicelib.models import CounterModel

    trusted.login("alice", "wrong password")
    keys = [record.key for record in CounterModel.scan()]
    assert keys and not any("alice" in key for key in keys)
    assert not any(trusted.cookies[DEVICE_COOKIE] in key for key in keys)
