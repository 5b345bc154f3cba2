"""Login page, sessions and CSRF, through the real app against moto."""

from __future__ import annotations

import re
from typing import Any

import pytest

from chalicelib.config import get_settings
from tests.helpers.browser import ISSUER, Browser, hidden_fields, set_cookie_values

PASSWORD = "correct horse battery"


@pytest.fixture
def browser(http: Any) -> Browser:
    return Browser(http)


def test_login_page_sends_security_headers_and_loads_nothing_from_elsewhere(
    browser: Browser,
) -> None:
    page = browser.get("/login")
    assert page.status_code == 200
    assert page.headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]
    assert "default-src 'none'" in page.headers["Content-Security-Policy"]
    assert page.headers["Referrer-Policy"] == "no-referrer"
    assert page.headers["Cache-Control"] == "no-store"
    html = page.body.decode()
    assert 'name="username"' in html and 'name="password"' in html
    assert 'type="submit"' in html and 'name="viewport"' in html
    external = [u for u in re.findall(r'(?:src|href|action)="([^"]*)"', html)]
    assert all(u.startswith(ISSUER + "/") for u in external), external


def test_login_starts_a_session_with_an_httponly_lax_secure_cookie(
    browser: Browser, make_user: Any
) -> None:
    make_user()
    response = browser.login("alice", PASSWORD, return_to="/authorize?client_id=x")
    assert response.status_code == 303
    assert response.headers["Location"] == f"{ISSUER}/authorize?client_id=x"
    cookie = next(c for c in set_cookie_values(response) if c.startswith("__Host-gh_session="))
    attributes = {a.strip() for a in cookie.split(";")}
    assert {"HttpOnly", "SameSite=Lax", "Secure", "Path=/"} <= attributes

    from chalicelib.models import SessionModel

    session_id = browser.cookies["__Host-gh_session"]
    stored = [r.session_hash for r in SessionModel.scan()]
    assert len(stored) == 1 and session_id not in stored[0]
    assert "signed in as" in browser.get("/login").body.decode().lower()


def test_login_creates_a_new_session_id_each_time(browser: Browser, make_user: Any) -> None:
    make_user()
    browser.login("alice", PASSWORD, return_to="/login")
    first = browser.cookies["__Host-gh_session"]
    browser.login("alice", PASSWORD, return_to="/login")
    assert browser.cookies["__Host-gh_session"] != first

    from chalicelib.models import SessionModel

    assert SessionModel.count() == 1


@pytest.mark.parametrize("token", [None, "wrong-token"])
def test_csrf_token_missing_or_wrong_rerenders_login_and_starts_no_session(
    browser: Browser, make_user: Any, token: str | None
) -> None:
    make_user()
    page = browser.get("/login")
    fields = {**hidden_fields(page.body.decode()), "username": "alice", "password": PASSWORD}
    if token is None:
        fields.pop("csrf_token")
    else:
        fields["csrf_token"] = token
    response = browser.post("/login", fields)
    assert response.status_code == 400
    assert 'name="password"' in response.body.decode()
    assert "expired" in response.body.decode()
    assert not any("gh_session" in c for c in set_cookie_values(response))

    from chalicelib.models import SessionModel

    assert SessionModel.count() == 0


def test_csrf_token_from_another_browser_is_rejected(http: Any, make_user: Any) -> None:
    make_user()
    attacker, victim = Browser(http), Browser(http)
    token = hidden_fields(attacker.get("/login").body.decode())["csrf_token"]
    victim.get("/login")
    response = victim.post(
        "/login", {"csrf_token": token, "username": "alice", "password": PASSWORD}
    )
    assert response.status_code == 400 and "gh_session" not in str(victim.cookies)


def test_wrong_password_unknown_user_and_disabled_user_get_the_same_answer(
    browser: Browser, make_user: Any
) -> None:
    from chalicelib.records import users

    make_user()
    make_user("bob")
    users.set_disabled("bob")
    answers = [
        browser.login("alice", "not the password"),
        browser.login("nobody", PASSWORD),
        browser.login("bob", PASSWORD),
    ]
    for response in answers:
        assert response.status_code == 400
        assert "The username or password is not correct." in response.body.decode()
    assert "__Host-gh_session" not in browser.cookies


def test_repeated_login_failures_are_refused_even_with_the_right_password(
    browser: Browser, make_user: Any, clock: Any
) -> None:
    make_user()
    for _ in range(get_settings().password_backoff_after):
        assert browser.login("alice", "wrong password").status_code == 400
    response = browser.login("alice", PASSWORD)
    assert response.status_code == 429
    assert "__Host-gh_session" not in browser.cookies


def test_parallel_wrong_passwords_get_no_more_password_checks_than_the_limit(
    browser: Browser, make_user: Any, monkeypatch: Any
) -> None:
    # Given a burst of guesses that all reach the limit check before any has been counted
    # (Lambdas run them in parallel): each next request starts inside the previous one's
    # password check, the last one carrying the right password.
    from chalicelib.config import get_settings
    from chalicelib.models import SessionModel
    from chalicelib.records import users

    make_user()
    limit = get_settings().password_backoff_after
    burst = limit + 5
    page = browser.get("/login")
    real_check = users.check_password
    checks: list[str] = []
    started = [1]

    def check_in_parallel(password: str, phc_hash: str | None) -> bool:
        checks.append(password)
        if started[0] < burst:
            started[0] += 1
            guess = PASSWORD if started[0] == burst else "wrong password"
            browser.submit(page, username="alice", password=guess)
        return real_check(password, phc_hash)

    monkeypatch.setattr(users, "check_password", check_in_parallel)
    # When the burst is sent
    browser.submit(page, username="alice", password="wrong password")
    # Then no more passwords were tried than the limit allows, and nobody got in
    assert len(checks) <= limit
    assert SessionModel.count() == 0


@pytest.mark.parametrize(
    "return_to",
    [
        "https://evil.example/",
        "//evil.example/path",
        "/\\evil.example",
        "javascript:alert(1)",
        "/authorize\r\nLocation: https://evil.example",
        "authorize",
    ],
)
def test_return_to_that_is_not_a_local_path_is_ignored(
    browser: Browser, make_user: Any, return_to: str
) -> None:
    make_user()
    response = browser.login("alice", PASSWORD, return_to=return_to)
    assert response.status_code == 303
    assert response.headers["Location"] == f"{ISSUER}/login"


def test_login_hint_and_username_are_escaped_on_the_login_page(browser: Browser) -> None:
    page = browser.get("/login", {"login_hint": '"><script>alert(1)</script>'})
    html = page.body.decode()
    assert "<script>alert(1)" not in html
    assert "&#34;&gt;&lt;script&gt;" in html


def test_session_cookie_is_not_secure_only_on_loopback_http(monkeypatch: Any) -> None:
    from chalicelib.config import get_settings
    from chalicelib.pages import cookies

    try:
        for issuer, secure in [
            ("http://127.0.0.1:8000", False),
            ("http://[::1]:8000", False),
            ("http://auth.example", True),
            ("https://auth.example", True),
        ]:
            monkeypatch.setenv("ISSUER", issuer)
            get_settings.cache_clear()
            assert cookies.secure_cookies() is secure
            assert cookies.session_cookie_name().startswith("__Host-") is secure
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()


def test_page_errors_render_html_not_json(browser: Browser) -> None:
    response = browser.http.post(
        "/login", body=b"\xff\xfe", headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert response.status_code == 400
    assert response.headers["Content-Type"].startswith("text/html")
    assert response.headers["X-Frame-Options"] == "DENY"
