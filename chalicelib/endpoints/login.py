"""The login page: GET shows the form, POST checks the password and starts a session.

OIDC Core §3.1.2.3 (the OP authenticates the End-User); RFC 9700 §4.11 (open redirectors).
Decisions: `return_to` is a path on this server only (one leading `/`, no scheme, host,
backslash or control character) and the redirect goes to issuer + path, so it can never
leave the server. The same message answers an unknown user, a wrong password and a
disabled account. Guesses are limited by the brute-force policy shared with the password
grant (records/password_attempts.py): the browser's device cookie goes with each attempt,
and a completed sign-in with a password (after its second factor, if the person has one)
(re)trusts the browser. A refused attempt gets 429, `Retry-After` and
a message saying how long to wait.
The form's `step` says which of three it is: `password` (the default), `second-factor`
(after a right password, for a person who has one: endpoints/second_factor.py), or
`passkey` (a passkey alone, from the button or the browser's passkey autofill).
"""

from __future__ import annotations

from urllib.parse import urlencode

from chalice import Response
from chalice.app import Request

from chalicelib import pages
from chalicelib.config import get_settings
from chalicelib.endpoints import second_factor
from chalicelib.errors import InvalidRequest
from chalicelib.http import Params, form_params, query_params
from chalicelib.pages import cookies
from chalicelib.pages.cookies import Browser
from chalicelib.records import assurance, passkeys, password_attempts, users

CSRF_FORM = "login"
MAX_RETURN_TO = 8192
BAD_CREDENTIALS = "The username or password is not correct."
EXPIRED_FORM = "This form has expired. Please try again."
EXPIRED_SIGN_IN = "Your sign-in took too long. Please sign in again."


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
    query = {"return_to": return_to}
    if login_hint:
        query["login_hint"] = login_hint
    return f"{get_settings().issuer}/login?{urlencode(query)}"


def show(request: Request) -> Response:
    params = query_params(request)
    browser = cookies.from_request(request)
    return_to = safe_return_to(params.get("return_to"))
    if browser.session is not None and return_to is None:
        return pages.render(
            "signed_in.html",
            username=browser.session.username,
            csrf_token=cookies.csrf_token(browser, "logout"),
            headers=cookies.cookie_headers(browser),
        )
    return login_form(browser, return_to, username=(params.get("login_hint") or "")[:256])


def submit(request: Request) -> Response:
    params = form_params(request)
    browser = cookies.from_request(request)
    step = params.get("step") or "password"
    if step == "second-factor":
        page = second_factor.submit(browser, params)
        return page or login_form(browser, None, error=EXPIRED_SIGN_IN, status=400)
    return_to = safe_return_to(params.get("return_to"))
    username = (params.get("username") or "")[:256]
    if not cookies.csrf_ok(browser, CSRF_FORM, params.get("csrf_token")):
        return login_form(browser, return_to, username=username, error=EXPIRED_FORM, status=400)
    if step == "passkey":
        try:
            return second_factor.passkey_sign_in(browser, params, return_to)
        except InvalidRequest as err:
            return login_form(browser, return_to, error=err.description, status=400)
    return _password(browser, params, username, return_to)


def _password(browser: Browser, params: Params, username: str, return_to: str | None) -> Response:
    password = params.get("password") or ""
    attempt = password_attempts.attempt(username, password, params.source_ip, browser.device)
    if attempt.locked:
        return refused(browser, return_to, username, attempt.retry_after)
    if attempt.user is None:
        return login_form(browser, return_to, username=username, error=BAD_CREDENTIALS, status=400)
    amr = (assurance.PASSWORD,)
    if users.has_second_factor(attempt.user):
        return second_factor.ask(browser, attempt.user, amr=amr, return_to=return_to or "/login")
    return second_factor.finish(browser, attempt.user, amr, return_to)


def refused(browser: Browser, return_to: str | None, username: str, retry_after: int) -> Response:
    error = password_attempts.refusal(retry_after)
    page = login_form(browser, return_to, username=username, error=error, status=429)
    page.headers["Retry-After"] = str(retry_after)
    return page


def login_form(
    browser: Browser,
    return_to: str | None,
    *,
    username: str = "",
    error: str = "",
    status: int = 200,
) -> Response:
    return pages.render(
        "login.html",
        status=status,
        headers=cookies.cookie_headers(browser),
        csrf_token=cookies.csrf_token(browser, CSRF_FORM),
        return_to=return_to or "",
        username=username,
        error=error,
        passkey_options=passkeys.sign_in_options(),
    )
