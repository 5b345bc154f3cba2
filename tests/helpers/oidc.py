"""Helpers for authorization-flow tests: clients, PKCE pairs, reading redirects."""

from __future__ import annotations

import base64
import hashlib
import secrets
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.helpers.browser import Browser
from tests.helpers.forms import basic, post_form

PASSWORD = "correct horse battery"
REDIRECT = "https://app.example/cb"


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def left_half_sha256(value: str) -> str:
    """OIDC Core §3.1.3.6 at_hash / §3.3.2.11 c_hash for RS256 and ES256, computed here
    rather than by the code under test."""
    digest = hashlib.sha256(value.encode("ascii")).digest()[:16]
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def answer(response: Any) -> dict[str, str]:
    """The parameters of an authorization response redirect (query or fragment)."""
    assert response.status_code == 302, (response.status_code, response.body[:500])
    parts = urlsplit(response.headers["Location"])
    raw = parts.fragment or parts.query
    return {k: v[0] for k, v in parse_qs(raw).items()}


def authorize(browser: Browser, **params: str | list[str]) -> Any:
    """GET /authorize, follow the login and approve consent; the final response. A list
    value is sent as a repeated parameter (`resource`)."""
    pairs = [(k, v) for k, vs in params.items() for v in ([vs] if isinstance(vs, str) else vs)]
    response = browser.get("/authorize", pairs)
    if response.status_code == 302 and "/login?" in response.headers["Location"]:
        page = browser.get(response.headers["Location"])
        response = browser.submit(page, username="alice", password=PASSWORD)
        assert response.status_code == 303, response.body
        response = browser.get(response.headers["Location"])
    if response.status_code == 200 and b'name="decision"' in response.body:
        response = browser.submit(response, decision="approve")
    return response


def exchange(http: Any, client: Any, secret: str | None, code: str, **extra: str) -> Any:
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT, **extra}
    data = {k: v for k, v in data.items() if v is not None}
    if secret is None:
        data.setdefault("client_id", client.client_id)
        return post_form(http, "/token", data)
    return post_form(http, "/token", data, basic(client.client_id, secret))
