"""Second factors in tests: authenticator-app codes, and enrolling one through the pages."""

from __future__ import annotations

import base64
import re
from html import unescape
from typing import Any
from urllib.parse import parse_qs, urlsplit

from cryptography.hazmat.primitives.hashes import SHA1
from cryptography.hazmat.primitives.twofactor.totp import TOTP

from tests.helpers.browser import Browser, hidden_fields


def code_at(secret: str, at: float) -> str:
    """What an authenticator app shows at `at` for the base32 `secret`."""
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    return TOTP(key, 6, SHA1(), 30).generate(at).decode()


def otpauth_uri(html: str) -> str:
    found = re.search(r'id="otpauth-uri">([^<]+)<', html)
    assert found, html
    return unescape(found.group(1))


def secret_of(uri: str) -> str:
    return parse_qs(urlsplit(uri).query)["secret"][0]


def recovery_codes_of(html: str) -> list[str]:
    block = re.search(r'id="recovery-codes">(.*?)</ul>', html, re.S)
    assert block, html
    return re.findall(r"<code>([^<]+)</code>", block.group(1))


def account_action(browser: Browser, action: str, **fields: str) -> Any:
    """POST an action to /account/security with the page's CSRF token."""
    page = browser.get("/account/security")
    assert page.status_code == 200, page.body
    token = hidden_fields(page.body.decode())["csrf_token"]
    return browser.post("/account/security", {"csrf_token": token, "action": action, **fields})


def enrol_totp(browser: Browser, at: float) -> tuple[str, list[str]]:
    """Set up an authenticator app for the signed-in person: (its secret, recovery codes)."""
    started = account_action(browser, "totp-start")
    assert started.status_code == 200, started.body
    secret = secret_of(otpauth_uri(started.body.decode()))
    confirmed = browser.submit(started, otp=code_at(secret, at))
    assert confirmed.status_code == 200, confirmed.body
    return secret, recovery_codes_of(confirmed.body.decode())
