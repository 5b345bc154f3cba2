"""Clients for the security rules: a confidential web app and a public single-page app."""

from __future__ import annotations

from typing import Any

import pytest

from tests.helpers.browser import Browser

WEB_REDIRECT = "https://app.example/cb"
SPA_REDIRECT = "https://spa.example/cb"


@pytest.fixture
def web(make_client: Any, user: Any) -> tuple[Any, str]:
    """A confidential web app (code flow, refresh tokens) and its secret; alice exists."""
    return make_client(
        name="Web app",
        grant_types=["authorization_code", "refresh_token"],
        redirect_uris=[WEB_REDIRECT],
        scope="openid profile api:read offline_access",
    )


@pytest.fixture
def spa(make_client: Any, user: Any) -> Any:
    """A public browser app: PKCE S256 is its only proof."""
    client, _ = make_client(
        name="Single-page app",
        grant_types=["authorization_code", "refresh_token"],
        redirect_uris=[SPA_REDIRECT],
        scope="openid api:read offline_access",
        public=True,
    )
    return client


@pytest.fixture
def browser(http: Any) -> Browser:
    return Browser(http)


def code_request(client: Any, redirect: str, **extra: str) -> dict[str, str]:
    return {
        "response_type": "code",
        "client_id": client.client_id,
        "redirect_uri": redirect,
        "scope": "openid api:read",
        "state": "st-1",
        **extra,
    }
