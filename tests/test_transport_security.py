"""HSTS (RFC 6797) on every response of an https issuer, pages and errors included; never
on an http (loopback) issuer, where RFC 6797 §7.2 says a host must not send it."""

from __future__ import annotations

from typing import Any

import pytest

from tests.helpers.faults import aws_fault
from tests.helpers.forms import basic, post_form
from tests.helpers.lambda_events import lambda_context, rest_event

HSTS = "max-age=63072000; includeSubDomains"
GRANT = {"grant_type": "client_credentials"}


def kms_down() -> Any:
    from chalicelib.signing import kms

    return aws_fault(kms.client(), "Sign", "KMSInternalException", 500)


def responses(http: Any, make_client: Any) -> dict[str, Any]:
    client, secret = make_client()
    credentials = basic(client.client_id, secret or "")
    with kms_down():
        unavailable = post_form(http, "/token", GRANT, credentials)
    return {
        "token": post_form(http, "/token", GRANT, credentials),
        "jwks": http.get("/jwks.json"),
        "login page": http.get("/login"),
        "error": post_form(http, "/token", {"grant_type": "nope"}, credentials),
        "error page": http.get("/authorize?client_id=nobody"),
        "503": unavailable,
    }


def test_every_response_of_an_https_issuer_carries_hsts(http, make_client):
    """RFC 6797 §6.1 (max-age, includeSubDomains) and §7.1 (every response over HTTPS)."""
    answered = responses(http, make_client)
    assert {name: r.status_code for name, r in answered.items()} == {
        "token": 200,
        "jwks": 200,
        "login page": 200,
        "error": 400,
        "error page": 400,
        "503": 503,
    }
    for name, response in answered.items():
        assert response.headers.get("Strict-Transport-Security") == HSTS, name


def test_no_hsts_when_the_issuer_is_http_loopback(http, make_client, settings_env):
    """RFC 6797 §7.2: not over plain HTTP (the `make run` issuer)."""
    settings_env(ISSUER="http://127.0.0.1:8000")
    for name, response in responses(http, make_client).items():
        assert "Strict-Transport-Security" not in response.headers, name


@pytest.mark.usefixtures("aws")
def test_unpinned_stage_sends_hsts_for_the_https_issuer_api_gateway_names(settings_env):
    from app import app

    settings_env(ISSUER="")
    response = app(rest_event("GET", "/jwks.json"), lambda_context())
    assert response["statusCode"] == 200
    assert response["headers"]["Strict-Transport-Security"] == HSTS
