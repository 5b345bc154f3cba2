"""The token-lifecycle tests' first-party app and what it sends (password, refresh,
introspect, revoke)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from tests.helpers.forms import PASSWORD, basic, post_form


@dataclass
class App:
    client_id: str
    secret: str

    @property
    def auth(self) -> dict[str, str]:
        return basic(self.client_id, self.secret)


def password_grant(http: Any, app: App, **params: str) -> Any:
    form = {"grant_type": "password", "username": "alice", "password": PASSWORD, **params}
    return post_form(http, "/token", form, app.auth)


def refresh(http: Any, app: App, token: str, **params: str) -> Any:
    form = {"grant_type": "refresh_token", "refresh_token": token, **params}
    return post_form(http, "/token", form, app.auth)


def introspect(http: Any, caller: App, token: str, **params: str) -> dict[str, Any]:
    response = post_form(http, "/introspect", {"token": token, **params}, caller.auth)
    assert response.status_code == 200, response.body
    return json.loads(response.body)


def revoke(http: Any, caller: App, token: str, **params: str) -> Any:
    return post_form(http, "/revoke", {"token": token, **params}, caller.auth)


def body(response: Any) -> dict[str, Any]:
    return json.loads(response.body)


def offline_tokens(http: Any, app: App, scope: str = "api:read offline_access") -> dict[str, Any]:
    response = password_grant(http, app, scope=scope)
    assert response.status_code == 200, response.body
    return body(response)
