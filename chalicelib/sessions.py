"""Browser state: the login session (record + cookie) and CSRF tokens for our forms.

OIDC Core §3.1.2.3 needs the OP to know who is signed in; RFC 6265bis for the cookies.
Decisions:
* The session id is 256 random bits; the cookie carries it, the Session record only its
  SHA-256. A login always starts a new session (no fixation); the cookie is HttpOnly,
  SameSite=Lax, Path=/, and Secure with the `__Host-` prefix unless the issuer is plain
  http on a loopback address (the local stack), where browsers drop Secure cookies.
* `sid` (OIDC Front-Channel Logout §2) is a separate random value, safe to put in ID tokens.
* CSRF: a signed double-submit token (OWASP). A per-browser random secret lives in its own
  HttpOnly cookie; a form carries HMAC-SHA256(secret, form name). A cross-site page can
  neither read the cookie nor compute the token. The login form needs no session for it.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from chalicelib.config import get_settings
from chalicelib.tokens import random_token, sha256_hex

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "::1", "localhost"})
MAX_COOKIE_CHARS = 256


@dataclass(frozen=True)
class Session:
    session_hash: str
    sid: str
    sub: str
    username: str
    auth_time: int
    amr: tuple[str, ...]


@dataclass
class Browser:
    """What one request knows about its browser, and the cookies its response must set."""

    session: Session | None
    csrf_secret: str
    session_cookie: str | None = None
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


def from_request(request: Any) -> Browser:
    """The browser's session (if live) and CSRF secret (a new one is set if missing)."""
    cookies = parse_cookies(request.headers.get("cookie"))
    session_id = cookies.get(session_cookie_name())
    browser = Browser(session=_load(session_id), csrf_secret=cookies.get(csrf_cookie_name(), ""))
    browser.session_cookie = session_id
    if len(browser.csrf_secret) < 43:
        browser.csrf_secret = random_token()
        browser.set_cookies.append(_cookie(csrf_cookie_name(), browser.csrf_secret, None))
    return browser


def _load(session_id: str | None) -> Session | None:
    from chalicelib.models import SessionModel

    if not session_id:
        return None
    try:
        record = SessionModel.get(sha256_hex(session_id), consistent_read=True)
    except SessionModel.DoesNotExist:
        return None
    if not record.is_live():
        return None
    return Session(
        session_hash=record.session_hash,
        sid=record.sid or record.session_hash[:32],
        sub=record.sub,
        username=record.username,
        auth_time=int(record.auth_time),
        amr=tuple(record.amr or ("pwd",)),
    )


def start(browser: Browser, user: Any, *, amr: tuple[str, ...] = ("pwd",)) -> Session:
    """A new session for `user`, replacing whatever session the browser had."""
    from chalicelib.models import SessionModel, now

    end(browser, clear_cookie=False)  # the new cookie below replaces it
    session_id = random_token()
    at = now()
    lifetime = get_settings().session_lifetime
    record = SessionModel(
        session_hash=sha256_hex(session_id),
        sid=secrets.token_urlsafe(16),
        sub=user.sub,
        username=user.username,
        auth_time=at,
        amr=list(amr),
        expires_at=at + lifetime,
    )
    record.save()
    browser.set_cookies.append(_cookie(session_cookie_name(), session_id, lifetime))
    browser.session = Session(
        record.session_hash, record.sid, user.sub, user.username, at, tuple(amr)
    )
    return browser.session


def end(browser: Browser, *, clear_cookie: bool = True) -> None:
    """Delete the session record and tell the browser to drop the cookie."""
    from chalicelib.models import SessionModel

    if browser.session_cookie:
        SessionModel(session_hash=sha256_hex(browser.session_cookie)).delete()
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
    return hmac.compare_digest(csrf_token(browser, form), submitted)


def cookie_headers(browser: Browser) -> dict[str, Any]:
    """The Set-Cookie header(s) for a Chalice Response (a list becomes several headers)."""
    if not browser.set_cookies:
        return {}
    return {"Set-Cookie": list(browser.set_cookies)}
