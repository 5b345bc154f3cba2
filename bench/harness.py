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
    }
)
os.environ.pop("AWS_ENDPOINT_URL", None)
os.environ.pop("GATEHOUSE_EMULATOR", None)

FORM = {"Content-Type": "application/x-www-form-urlencoded"}


@contextmanager
def stack(signing_mode: str = "kms") -> Iterator[tuple[Any, dict[str, str]]]:
    """(chalice test http client, headers for a client_credentials request), fresh caches."""
    from chalice.test import Client
    from moto import mock_aws

    from app import app
    from chalicelib.config import get_settings
    from chalicelib.emulator import provision
    from chalicelib.records.registration import create_client

    os.environ["SIGNING_MODE"] = signing_mode
    get_settings.cache_clear()
    new_container()
    with mock_aws(), Client(app, stage_name="bench") as client:
        provision()
        registered, secret = create_client(name="bench", grant_types=["client_credentials"])
        raw = f"{registered.client_id}:{secret}".encode()
        headers = {**FORM, "Authorization": "Basic " + base64.b64encode(raw).decode()}
        yield client.http, headers


def new_container() -> None:
    """Forget every per-container cache, as a cold Lambda container starts."""
    from chalicelib.records import clients, quotas
    from chalicelib.signing import envelope, keys, kms

    clients.reset_cache()
    quotas.reset_cache()
    keys.reset_cache()
    envelope.reset_cache()
    kms.client.cache_clear()
