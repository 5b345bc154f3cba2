"""Fixtures for the flow tests: moto in-process with our real tables and KMS keys.

The environment is set before any chalicelib import, as Lambda sets it before the handler
loads. moto is started and provisioned once per session (helpers/aws.py) and every table
is emptied after each test, so each test starts from a freshly provisioned stack.
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

from collections.abc import Callable, Iterator  # noqa: E402
from types import SimpleNamespace  # noqa: E402
from typing import Any  # noqa: E402

import pytest  # noqa: E402
from chalice.test import Client as ChaliceClient  # noqa: E402

from tests.helpers import aws as provisioned_aws  # noqa: E402
from tests.helpers.forms import PASSWORD  # noqa: E402
from tests.helpers.tokens import App  # noqa: E402

DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"


@pytest.fixture(scope="session")
def provisioned() -> Iterator[provisioned_aws.Provisioned]:
    from moto import mock_aws

    with mock_aws():
        yield provisioned_aws.provision()


@pytest.fixture
def aws(provisioned: provisioned_aws.Provisioned) -> Iterator[None]:
    """Moto with every table and an active RS256 and ES256 key, as the emulator provisions;
    the test's records are gone afterwards."""
    provisioned_aws.reset_caches()
    yield
    provisioned_aws.restore(provisioned)


@pytest.fixture
def http(aws: None) -> Iterator[Any]:
    from app import app

    with ChaliceClient(app, stage_name="test") as client:
        yield client.http


@pytest.fixture
def make_client(aws: None) -> Callable[..., tuple[Any, str | None]]:
    from chalicelib.records.registration import create_client

    def make(**overrides: Any) -> tuple[Any, str | None]:
        fields: dict[str, Any] = {
            "name": "Test service",
            "grant_types": ["client_credentials"],
            "scope": "api:read api:write",
        }
        fields.update(overrides)
        return create_client(**fields)

    return make


@pytest.fixture
def make_user(aws: None) -> Callable[..., Any]:
    from chalicelib.records import users

    def make(
        username: str = "alice",
        password: str = PASSWORD,
        email: str | None = "alice@example.com",
        name: str | None = "Alice Example",
    ) -> Any:
        return users.create_user(username, password, email, name)

    return make


@pytest.fixture
def user(make_user: Callable[..., Any]) -> Any:
    """alice, with the password every helper signs in with."""
    return make_user()


@pytest.fixture
def make_app(make_client: Callable[..., tuple[Any, str | None]]) -> Callable[..., App]:
    """A confidential first-party app for the token-lifecycle tests."""

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


@pytest.fixture
def device_client(make_client: Any) -> Any:
    client, _ = make_client(
        name="Living-room TV", grant_types=[DEVICE_GRANT], public=True, scope="openid api:read"
    )
    return client


@pytest.fixture
def settings_env() -> Iterator[Callable[..., None]]:
    """Set environment settings for one test; the settings cache is cleared both ways."""
    from chalicelib.config import get_settings

    with pytest.MonkeyPatch.context() as patch:

        def apply(**values: str) -> None:
            for name, value in values.items():
                patch.setenv(name, value)
            get_settings.cache_clear()

        yield apply
    get_settings.cache_clear()


@pytest.fixture
def envelope_mode(aws: None, settings_env: Any) -> Iterator[None]:
    """A stage provisioned in envelope mode: the key set holds only wrapped key pairs."""
    from chalicelib.emulator import provision
    from chalicelib.models import SigningKeyModel
    from tests.helpers.aws import reset_caches

    settings_env(SIGNING_MODE="envelope")
    for record in SigningKeyModel.scan():
        record.delete()
    reset_caches()
    provision()
    yield


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> SimpleNamespace:
    """Freeze `models.now()`, the one clock of every expiry; move it with `clock.advance(s)`."""
    import time

    from chalicelib import models

    frozen = SimpleNamespace(at=float(int(time.time())))
    frozen.advance = lambda seconds: setattr(frozen, "at", frozen.at + seconds)
    monkeypatch.setattr(models, "time", SimpleNamespace(time=lambda: frozen.at))
    return frozen


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
