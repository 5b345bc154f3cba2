"""The password grant: registered clients only, one answer for every failure, lockout."""

from __future__ import annotations

import contextlib
import threading
from typing import Any

import jwt
import pytest

from chalicelib.config import get_settings
from chalicelib.records import password_attempts, ratelimit
from tests.helpers.tokens import PASSWORD, App, body, password_grant


def test_client_not_registered_for_password_gets_unauthorized_client(
    http: Any, user: Any, make_app: Any
) -> None:
    app = make_app(grant_types=["client_credentials"])
    response = password_grant(http, app)
    assert response.status_code == 400
    assert body(response)["error"] == "unauthorized_client"


def test_password_grant_issues_an_access_token_for_the_user(http: Any, user: Any, app: App) -> None:
    response = password_grant(http, app, scope="api:read")
    issued = body(response)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    claims = jwt.decode(issued["access_token"], options={"verify_signature": False})
    assert claims["sub"] == user.sub and claims["client_id"] == app.client_id
    assert claims["scope"] == issued["scope"] == "api:read"
    assert claims["auth_time"] == claims["iat"]


def test_scope_outside_the_clients_registration_is_invalid_scope(
    http: Any, user: Any, app: App
) -> None:
    assert body(password_grant(http, app, scope="admin"))["error"] == "invalid_scope"


def test_missing_username_or_password_is_invalid_request(http: Any, user: Any, app: App) -> None:
    assert body(password_grant(http, app, username=""))["error"] == "invalid_request"
    assert body(password_grant(http, app, password=""))["error"] == "invalid_request"


def test_unknown_user_wrong_password_and_disabled_user_get_identical_responses(
    http: Any, user: Any, app: App
) -> None:
    from chalicelib.records import users

    disabled = users.create_user("bob", PASSWORD, None, None)
    disabled.update(actions=[type(disabled).disabled.set(True)])
    answers = [
        password_grant(http, app, username="nobody"),
        password_grant(http, app, password="wrong password"),
        password_grant(http, app, username="bob"),
    ]
    shapes = [(r.status_code, r.body, sorted(r.headers.items())) for r in answers]
    assert shapes[0] == shapes[1] == shapes[2]
    assert body(answers[0]) == {
        "error": "invalid_grant",
        "error_description": "Invalid username or password",
    }


def test_a_right_password_during_the_backoff_wait_is_invalid_grant_saying_how_long(
    http: Any, user: Any, app: App, clock: Any
) -> None:
    for _ in range(get_settings().password_backoff_after):
        assert body(password_grant(http, app, password="guess"))["error"] == "invalid_grant"
    assert body(password_grant(http, app)) == {
        "error": "invalid_grant",
        "error_description": "Too many failed attempts. Try again in 2 seconds.",
    }
    clock.advance(2)
    assert password_grant(http, app).status_code == 200


def test_success_clears_the_username_count(http: Any, user: Any, app: App) -> None:
    for _ in range(4):
        password_grant(http, app, password="guess")
    assert password_grant(http, app).status_code == 200
    assert ratelimit.count_of(password_attempts.PER_SOURCE, "127.0.0.1") == 4
    for _ in range(4):
        password_grant(http, app, password="guess")
    assert password_grant(http, app).status_code == 200


def test_a_source_backs_off_after_its_failures_across_usernames(
    http: Any, user: Any, app: App, settings_env: Any, clock: Any
) -> None:
    settings_env(PASSWORD_SOURCE_BACKOFF_AFTER="20")
    for attempt in range(20):
        password_grant(http, app, username=f"guess-{attempt}", password="guess")
    refused = body(password_grant(http, app))
    assert refused["error"] == "invalid_grant" and "Try again in" in refused["error_description"]
    assert ratelimit.count_of(password_attempts.PER_SOURCE, "127.0.0.1") == 20


def test_backoff_thresholds_come_from_settings(
    http: Any, user: Any, app: App, settings_env: Any, clock: Any
) -> None:
    settings_env(PASSWORD_BACKOFF_AFTER="2")
    for _ in range(2):
        password_grant(http, app, password="guess")
    assert password_grant(http, app).status_code == 400


def test_parallel_guesses_cannot_check_more_passwords_than_backoff_lets_through(
    user: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from chalicelib.records import users

    # Given guesses for alice at once, racing from the limits to the password check
    guesses = get_settings().password_backoff_after * 2
    barrier = threading.Barrier(guesses, timeout=3)
    get_user, check_password = users.get_user, users.check_password
    count_lock, checked = threading.Lock(), []

    def racing_get_user(username: str) -> Any:
        with contextlib.suppress(threading.BrokenBarrierError):
            barrier.wait()
        return get_user(username)

    def counted_check(secret: str, phc_hash: str | None) -> bool:
        checked.append(secret)
        return check_password(secret, phc_hash)

    def atomic(function: Any) -> Any:
        # DynamoDB's ADD is atomic; moto in one process is not across threads.
        return lambda *args, **kwargs: _locked(count_lock, function, *args, **kwargs)

    monkeypatch.setattr(users, "get_user", racing_get_user)
    monkeypatch.setattr(users, "check_password", counted_check)
    for name in ("take_turns", "refund", "clear"):
        monkeypatch.setattr(ratelimit, name, atomic(getattr(ratelimit, name)))

    def guess(attempt: int) -> None:
        password_attempts.attempt("alice", f"guess-{attempt}", "198.51.100.7")

    threads = [threading.Thread(target=guess, args=(n,)) for n in range(guesses)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # Then no more passwords were tried than backoff lets through at once
    assert len(checked) <= get_settings().password_backoff_after


def _locked(lock: threading.Lock, function: Any, *args: Any, **kwargs: Any) -> Any:
    with lock:
        return function(*args, **kwargs)
