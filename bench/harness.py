"""A moto-backed app with one confidential client, shared by the benchmarks."""

from __future__ import annotations

import base64
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

os.environ.update(
    {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_EC2_METADATA_DISABLED": "true",
        "ISSUER": "https://bench.test",
        "TABLE_PREFIX": "gatehouse-bench-",
        # one client asks for hundreds of tokens: its quota is still counted, never reached
        "TOKEN_BURST_PER_CLIENT": "1000000",
        "DEVICE_AUTHORIZATION_BURST": "1000000",
        "ARGON2_MEMORY_KIB": "1024",  # the benchmarks sign in no one through the password form
    }
)
os.environ.pop("AWS_ENDPOINT_URL", None)
os.environ.pop("GATEHOUSE_EMULATOR", None)

FORM = {"Content-Type": "application/x-www-form-urlencoded"}
# the same request the Authlib peer answers (bench/peer_authlib.py)
CLIENT_CREDENTIALS = "grant_type=client_credentials&scope=api%3Aread"


def has_access_token_alg() -> bool:
    """Whether chalicelib/config.py has the ACCESS_TOKEN_ALG setting (issue 11)."""
    from chalicelib.config import Settings

    return "access_token_alg" in Settings.__dataclass_fields__


@contextmanager
def stack(
    signing_mode: str = "kms", access_token_alg: str | None = None
) -> Iterator[tuple[Any, dict[str, str]]]:
    """(chalice test http client, headers for a client_credentials request), fresh caches."""
    from chalice.test import Client
    from moto import mock_aws

    from app import app
    from chalicelib.config import get_settings
    from chalicelib.emulator import provision
    from chalicelib.records.registration import create_client

    os.environ["SIGNING_MODE"] = signing_mode
    if access_token_alg:
        os.environ["ACCESS_TOKEN_ALG"] = access_token_alg
    get_settings.cache_clear()
    new_container()
    try:
        with mock_aws(), Client(app, stage_name="bench") as client:
            provision()
            registered, secret = create_client(
                name="bench", grant_types=["client_credentials"], scope="api:read api:write"
            )
            raw = f"{registered.client_id}:{secret}".encode()
            headers = {**FORM, "Authorization": "Basic " + base64.b64encode(raw).decode()}
            yield client.http, headers
    finally:
        os.environ.pop("ACCESS_TOKEN_ALG", None)
        get_settings.cache_clear()


def new_container() -> None:
    """Forget every per-container cache, as a cold Lambda container starts."""
    from chalicelib.records import clients, quotas
    from chalicelib.signing import envelope, keys, kms

    clients.reset_cache()
    quotas.reset_cache()
    keys.reset_cache()
    envelope.reset_cache()
    kms.client.cache_clear()
