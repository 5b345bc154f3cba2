"""Browser state for our pages: the session cookie, CSRF tokens, and the cookies to set.

A request's `Browser` holds the live session its cookie names (records/sessions.py) and
its CSRF secret; `sign_in`/`sign_out` change the session and queue the Set-Cookie lines.

RFC 6265bis (cookies), OWASP CSRF cheat sheet. Decisions:
* Cookies are HttpOnly, SameSite=Lax, Path=/, and Secure with the `__Host-` prefix unless
  the issuer is plain http on a loopback address (the local stack), where browsers drop
  Secure cookies. A cookie value over 256 characters is ignored, not parsed.
* CSRF: a signed double-submit token. A per-browser random secret lives in its own
  HttpOnly cookie; a form carries HMAC-SHA256(secret, form name). A cross-site page can
  neither read the cookie nor compute the token. The login form needs no session for it.
* Sign-in cookie: between a right password and the second factor, the browser holds the
  one-time value of its sign-in in progress (records/challenges.py) for
  `SIGN_IN_STEP_SECONDS`; it is no session, and it is dropped when the sign-in ends.
* Device cookie (OWASP device cookies): a random nonce per browser, set by a sign-in with
  a password for `DEVICE_COOKIE_LIFETIME` and kept at sign-out; the brute-force policy
  trusts it for the usernames signed in from it (records/trusted_devices.py).
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from chalice.app import Request

from chalicelib.config import get_settings
from chalicelib.opaque import VALUE_LENGTH, new_value
from chalicelib.records import sessions, trusted_devices
from chalicelib.records.sessions import Session
from chalicelib.records.users import User

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "::1", "localhost"})
MAX_COOKIE_CHARS = 256


@dataclass
class Browser:
    """What one request knows about its browser, and the cookies its response must set."""

    session: Session | None
    csrf_secret: str
    session_cookie: str | None = None
    device: str = ""
    sign_in_step: str = ""
    set_cookies: list[str] = field(default_factory=list)


def secure_cookies() -> bool:
    parts = urlsplit(get_settings().issuer)
    return not (parts.scheme == "http" and parts.hostname in LOOPBACK_HOSTS)


def cookie_name(base: str) -> str:
    return f"__Host-{base}" if secure_cookies() else base


def session_cookie_name() -> str:
    return cookie_name("gh_session")


def csrf_cookie_name() -> str:
    return cookie_name("gh_csrf")


def device_cookie_name() -> str:
    return cookie_name("gh_device")


def sign_in_cookie_name() -> str:
    return cookie_name("gh_signin")


def parse_cookies(header: str | None) -> dict[str, str]:
    """`name=value; ...` pairs; the first of a repeated name wins, oversized values are dropped."""
    cookies: dict[str, str] = {}
    for part in (header or "").split(";"):
        name, sep, value = part.strip().partition("=")
        if sep and name and len(value) <= MAX_COOKIE_CHARS:
            cookies.setdefault(name, value.strip('"'))
    return cookies


def _cookie(name: str, value: str, max_age: int | None) -> str:
    attributes = [f"{name}={value}", "Path=/", "HttpOnly", "SameSite=Lax"]
    if max_age is not None:
        attributes.append(f"Max-Age={max_age}")
    if secure_cookies():
        attributes.append("Secure")
    return "; ".join(attributes)


def from_request(request: Request) -> Browser:
    """The browser's session (if live) and CSRF secret (a new one is set if missing)."""
    cookies = parse_cookies(request.headers.get("cookie"))
    session_id = cookies.get(session_cookie_name())
    browser = Browser(
        session=sessions.load(session_id),
        csrf_secret=cookies.get(csrf_cookie_name(), ""),
        session_cookie=session_id,
        device=cookies.get(device_cookie_name(), ""),
        sign_in_step=cookies.get(sign_in_cookie_name(), ""),
    )
    if len(browser.csrf_secret) < VALUE_LENGTH:
        browser.csrf_secret = new_value()
        browser.set_cookies.append(_cookie(csrf_cookie_name(), browser.csrf_secret, None))
    return browser


def sign_in(browser: Browser, user: User, *, amr: tuple[str, ...] = ("pwd",)) -> Session:
    """A new session for `user`, replacing whatever session the browser had."""
    sign_out(browser, clear_cookie=False)  # the new cookie below replaces it
    session_id, browser.session = sessions.start(user, amr)
    lifetime = get_settings().session_lifetime
    browser.set_cookies.append(_cookie(session_cookie_name(), session_id, lifetime))
    return browser.session


def hold_sign_in_step(browser: Browser, value: str) -> None:
    """Keep a sign-in in progress (a password checked, a second factor to come)."""
    browser.sign_in_step = value
    lifetime = get_settings().sign_in_step_seconds
    browser.set_cookies.append(_cookie(sign_in_cookie_name(), value, lifetime))


def drop_sign_in_step(browser: Browser) -> None:
    if browser.sign_in_step:
        browser.sign_in_step = ""
        browser.set_cookies.append(_cookie(sign_in_cookie_name(), "", 0))


def remember_device(browser: Browser, username: str) -> None:
    """After a right password: trust this browser for `username` (a new nonce if it has none)."""
    if len(browser.device) != VALUE_LENGTH:
        browser.device = new_value()
    trusted_devices.trust(username, browser.device)
    lifetime = get_settings().device_cookie_lifetime
    browser.set_cookies.append(_cookie(device_cookie_name(), browser.device, lifetime))


def sign_out(browser: Browser, *, clear_cookie: bool = True) -> None:
    """End the browser's session and tell it to drop the cookie."""
    if browser.session_cookie:
        sessions.end(browser.session_cookie)
        if clear_cookie:
            browser.set_cookies.append(_cookie(session_cookie_name(), "", 0))
        browser.session_cookie = None
    browser.session = None


def csrf_token(browser: Browser, form: str) -> str:
    digest = hmac.new(browser.csrf_secret.encode(), form.encode(), hashlib.sha256)
    return digest.hexdigest()


def csrf_ok(browser: Browser, form: str, submitted: str | None) -> bool:
    """True only for the token this browser's secret gives for `form`."""
    if not submitted or not browser.csrf_secret:
        return False
    # As bytes: compare_digest refuses a str with non-ASCII characters (TypeError, a 500).
    return hmac.compare_digest(csrf_token(browser, form).encode(), submitted.encode())


def cookie_headers(browser: Browser) -> dict[str, Any]:
    """The Set-Cookie header(s) for a Chalice Response (a list becomes several headers)."""
    if not browser.set_cookies:
        return {}
    return {"Set-Cookie": list(browser.set_cookies)}
