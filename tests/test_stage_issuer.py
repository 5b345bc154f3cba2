"""A deployed stage without ISSUER never answers 500: its issuer is where API Gateway was called.

Events go to the Chalice app as the Lambda handler, shaped as API Gateway sends them.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import jwt
import pytest

from chalicelib.stage_issuer import derive
from tests.helpers.forms import basic
from tests.helpers.lambda_events import EXECUTE_API, body_text, lambda_context, rest_event


def call(event: dict[str, Any]) -> dict[str, Any]:
    from app import app

    return app(event, lambda_context())


@pytest.fixture
def unpinned(settings_env: Any) -> None:
    settings_env(ISSUER="")


def test_execute_api_issuer_is_the_domain_and_stage() -> None:
    assert derive(rest_event("GET", "/jwks.json")) == f"https://{EXECUTE_API}/api"


def test_custom_domain_issuer_is_the_domain_and_its_base_path() -> None:
    root = rest_event("GET", "/token", domain="auth.example.com", base_path="")
    mapped = rest_event("GET", "/token", domain="auth.example.com", base_path="/oauth")
    assert derive(root) == "https://auth.example.com"
    assert derive(mapped) == "https://auth.example.com/oauth"


def test_no_request_context_derives_nothing() -> None:
    assert derive({"path": "/token"}) == ""


def test_unpinned_stage_serves_discovery_with_the_derived_issuer(unpinned: None, aws: None):
    response = call(rest_event("GET", "/.well-known/openid-configuration"))
    metadata = json.loads(body_text(response))
    assert response["statusCode"] == 200
    assert metadata["issuer"] == f"https://{EXECUTE_API}/api"
    assert metadata["token_endpoint"] == f"https://{EXECUTE_API}/api/token"


def test_client_headers_cannot_choose_the_issuer(unpinned: None, make_client: Any) -> None:
    client, secret = make_client()
    spoofed = {"Host": "evil.example", "X-Forwarded-Host": "evil.example"}
    event = rest_event(
        "POST",
        "/token",
        form={"grant_type": "client_credentials"},
        headers={**spoofed, **basic(client.client_id, secret)},
    )
    response = call(event)
    assert response["statusCode"] == 200, body_text(response)
    token = json.loads(body_text(response))["access_token"]
    claims = jwt.decode(token, options={"verify_signature": False})
    assert claims["iss"] == f"https://{EXECUTE_API}/api"


def test_deriving_is_logged_once_per_issuer(unpinned: None, aws: None, caplog: Any) -> None:
    from chalicelib import stage_issuer

    stage_issuer._announced.clear()
    with caplog.at_level(logging.WARNING, logger="gatehouse"):
        for _ in range(3):
            call(rest_event("GET", "/jwks.json"))
    notes = [r.getMessage() for r in caplog.records if "ISSUER is not set" in r.getMessage()]
    assert notes == [
        f"ISSUER is not set; using https://{EXECUTE_API}/api from the API Gateway request context"
    ]


def test_a_pinned_issuer_wins_over_the_request(aws: None) -> None:
    response = call(rest_event("GET", "/.well-known/openid-configuration"))
    assert json.loads(body_text(response))["issuer"] == "https://auth.test"


def test_the_derived_issuer_does_not_outlive_its_request(unpinned: None, aws: None) -> None:
    from chalicelib.config import get_settings

    call(rest_event("GET", "/jwks.json"))
    with pytest.raises(RuntimeError, match="no ISSUER"):
        _ = get_settings().issuer
