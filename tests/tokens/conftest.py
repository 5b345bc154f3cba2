"""Fixtures for the token-lifecycle tests: a person, a first-party app, and a login helper."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from tests.conftest import basic, post_form

PASSWORD = "correct horse battery"


@dataclass
class App:
    client_id: str
    secret: str

    @property
    def auth(self) -> dict[str, str]:
        return basic(self.client_id, self.secret)


@pytest.fixture
def user(aws: None) -> Any:
    from chalicelib import users

    return users.create_user("alice", PASSWORD, "alice@example.com", "Alice")


@pytest.fixture
def make_app(make_client: Callable[..., tuple[Any, str | None]]) -> Callable[..., App]:
    def make(**overrides: Any) -> App:
        fields: dict[str, Any] = {
            "name": "First-party app",
            "grant_types": ["password", "refresh_token"],
            "scope": "api:read api:write offline_access",
            "can_introspect": True,
        }
        fields.update(overrides)
        client, secret = make_client(**fields)
        return App(client.client_id, secret or "")

    return make


@pytest.fixture
def app(make_app: Callable[..., App]) -> App:
    return make_app()


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


@pytest.fixture
def settings_env() -> Iterator[Callable[..., None]]:
    """Set environment settings for one test; the settings cache is cleared both ways."""
    from chalicelib.config import get_settings

    saved: dict[str, str | None] = {}

    def apply(**values: str) -> None:
        for name, value in values.items():
            saved.setdefault(name, os.environ.get(name))
            os.environ[name] = value
        get_settings.cache_clear()

    yield apply
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
    get_settings.cache_clear()
