"""Shared fixtures: moto in-process for flow tests, with our real tables and KMS keys.

Environment is set before any chalicelib import, as Lambda sets it before the handler loads.
"""

from __future__ import annotations

import os

os.environ.update(
    {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_EC2_METADATA_DISABLED": "true",
        "GATEHOUSE_STAGE": "test",
        "TABLE_PREFIX": "gatehouse-test-",
        "KEY_ALIAS_PREFIX": "alias/gatehouse-test",
        "ISSUER": "https://auth.test",
        "ARGON2_MEMORY_KIB": "1024",
    }
)
for name in ("AWS_ENDPOINT_URL", "GATEHOUSE_EMULATOR", "AWS_PROFILE"):
    os.environ.pop(name, None)

import base64  # noqa: E402
from collections.abc import Callable, Iterator  # noqa: E402
from typing import Any  # noqa: E402
from urllib.parse import urlencode  # noqa: E402

import pytest  # noqa: E402
from chalice.test import Client as ChaliceClient  # noqa: E402
from moto import mock_aws  # noqa: E402


def reset_caches() -> None:
    from chalicelib import clients, envelope, keys

    clients.reset_cache()
    keys.reset_cache()
    keys.kms_client.cache_clear()
    envelope.reset_cache()


@pytest.fixture
def aws() -> Iterator[None]:
    """Moto with every table and an active RS256 and ES256 key, as the emulator provisions."""
    from chalicelib.emulator import provision

    with mock_aws():
        reset_caches()
        provision()
        yield
        reset_caches()


@pytest.fixture
def http(aws: None) -> Iterator[Any]:
    from app import app

    with ChaliceClient(app, stage_name="test") as client:
        yield client.http


@pytest.fixture
def make_client(aws: None) -> Callable[..., tuple[Any, str | None]]:
    from chalicelib.registration import create_client

    def make(**overrides: Any) -> tuple[Any, str | None]:
        fields: dict[str, Any] = {
            "name": "Test service",
            "grant_types": ["client_credentials"],
            "scope": "api:read api:write",
        }
        fields.update(overrides)
        return create_client(**fields)

    return make


def basic(client_id: str, secret: str) -> dict[str, str]:
    raw = f"{client_id}:{secret}".encode()
    return {"Authorization": "Basic " + base64.b64encode(raw).decode()}


FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def post_form(
    http: Any, path: str, data: dict[str, str] | str, headers: dict[str, str] | None = None
) -> Any:
    body = data if isinstance(data, str) else urlencode(data)
    return http.post(path, body=body, headers={**FORM, **(headers or {})})


@pytest.fixture
def make_user(aws: None) -> Callable[..., Any]:
    from chalicelib import users

    def make(
        username: str = "alice",
        password: str = "correct horse battery",
        email: str | None = "alice@example.com",
        name: str | None = "Alice Example",
    ) -> Any:
        return users.create_user(username, password, email, name)

    return make


@pytest.fixture
def aws_calls(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Every AWS API call made from here on, as "service:Operation", counted at botocore."""
    import botocore.client

    calls: list[str] = []
    real = botocore.client.BaseClient._make_api_call

    def counting(self: Any, operation: str, params: dict[str, Any]) -> Any:
        calls.append(f"{self.meta.service_model.service_name}:{operation}")
        return real(self, operation, params)

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", counting)
    yield calls
