"""The login page: GET shows the form, POST checks the password and starts a session.

OIDC Core §3.1.2.3 (the OP authenticates the End-User); RFC 9700 §4.11 (open redirectors).
Decisions: `return_to` is a path on this server only (one leading `/`, no scheme, host,
backslash or control character) and the redirect goes to issuer + path, so it can never
leave the server. The same message answers an unknown user, a wrong password and a
disabled account. Failures are counted per username (refused past `LOGIN_MAX_FAILURES` in
`LOGIN_FAILURE_WINDOW`) and per source address (ten times that). Each attempt is counted
before its password is checked (one atomic ADD) and refunded when it succeeds, so parallel
requests cannot all slip under the limit (RFC 6749 §10.10).
"""

from __future__ import annotations

from typing import Any

from chalice import Response

from chalicelib import pages, ratelimit, sessions, users
from chalicelib.config import get_settings
from chalicelib.http import form_params, query_params

FORM = "login"
MAX_RETURN_TO = 8192
BAD_CREDENTIALS = "The username or password is not correct."
EXPIRED_FORM = "This form has expired. Please try again."
TOO_MANY = "Too many failed attempts. Please wait a few minutes and try again."


def safe_return_to(value: str | None) -> str | None:
    """A path on this server, or None (RFC 9700 §4.11: never an open redirector)."""
    if not value or len(value) > MAX_RETURN_TO:
        return None
    if not value.startswith("/") or value.startswith("//"):
        return None
    if "\\" in value or any(ord(ch) < 0x21 or ord(ch) == 0x7F for ch in value):
        return None
    return value


def login_url(return_to: str, login_hint: str | None = None) -> str:
    from urllib.parse import urlencode

    query = {"return_to": return_to}
    if login_hint:
        query["login_hint"] = login_hint
    return f"{get_settings().issuer}/login?{urlencode(query)}"


def show(request: Any) -> Response:
    params = query_params(request)
    browser = sessions.from_request(request)
    return_to = safe_return_to(params.get("return_to"))
    if browser.session is not None and return_to is None:
        return pages.render(
            "signed_in.html",
            username=browser.session.username,
            csrf_token=sessions.csrf_token(browser, "logout"),
            headers=sessions.cookie_headers(browser),
        )
    return login_form(browser, return_to, username=(params.get("login_hint") or "")[:256])


def submit(request: Any) -> Response:
    params = form_params(request)
    browser = sessions.from_request(request)
    return_to = safe_return_to(params.get("return_to"))
    username = (params.get("username") or "")[:256]
    if not sessions.csrf_ok(browser, FORM, params.get("csrf_token")):
        return login_form(browser, return_to, username=username, error=EXPIRED_FORM, status=400)
    subjects = (f"user:{username}", f"ip:{params.source_ip}")
    if _charge(subjects):
        return login_form(browser, return_to, username=username, error=TOO_MANY, status=429)
    user = users.get_user(username)
    valid = users.check_password(params.get("password") or "", user and user.password_hash)
    if not valid or user is None or user.disabled:
        return login_form(browser, return_to, username=username, error=BAD_CREDENTIALS, status=400)
    for subject in subjects:
        ratelimit.refund("login", subject)
    sessions.start(browser, user)
    target = get_settings().issuer + (return_to or "/login")
    return pages.redirect(target, status=303, headers=sessions.cookie_headers(browser))


def _charge(subjects: tuple[str, str]) -> bool:
    """Count this attempt for the user and the address; True when either is past its limit.

    The per-address limit is looser: many people may share an address.
    """
    settings = get_settings()
    window, limit = settings.login_failure_window, settings.login_max_failures
    return ratelimit.charge(
        [("login", subjects[0], limit), ("login", subjects[1], limit * 10)], window
    )


def login_form(
    browser: sessions.Browser,
    return_to: str | None,
    *,
    username: str = "",
    error: str = "",
    status: int = 200,
) -> Response:
    return pages.render(
        "login.html",
        status=status,
        headers=sessions.cookie_headers(browser),
        csrf_token=sessions.csrf_token(browser, FORM),
        return_to=return_to or "",
        username=username,
        error=error,
    )
