"""Requests from a chosen source address through Chalice's test client.

Chalice's local gateway puts one fixed address in `requestContext.identity.sourceIp`
(chalice.local.LambdaEventConverter.LOCAL_SOURCE_IP); a test moves it for its own requests.
"""

from __future__ import annotations

import pytest
from chalice.local import LambdaEventConverter


def send_from(monkeypatch: pytest.MonkeyPatch, address: str) -> None:
    """Make the test client's following requests arrive from `address`."""
    monkeypatch.setattr(LambdaEventConverter, "LOCAL_SOURCE_IP", address)
