"""CORS: the JSON endpoints a browser app calls answer any origin; pages answer none."""

from __future__ import annotations

import pytest

from tests.helpers.forms import basic, post_form

ORIGIN = {"Origin": "https://spa.example"}


@pytest.mark.parametrize("path", ["/.well-known/openid-configuration", "/jwks.json"])
def test_metadata_and_keys_allow_any_origin(http, aws, path):
    response = http.get(path, headers=ORIGIN)
    assert response.headers["Access-Control-Allow-Origin"] == "*"


def test_token_responses_allow_any_origin_even_on_error(http, make_client):
    client, secret = make_client()
    ok = post_form(http, "/token", {"grant_type": "client_credentials"},
                   {**ORIGIN, **basic(client.client_id, secret)})  # fmt: skip
    bad = post_form(http, "/token", {"grant_type": "client_credentials"}, ORIGIN)
    assert ok.headers["Access-Control-Allow-Origin"] == "*"
    assert bad.status_code == 401 and bad.headers["Access-Control-Allow-Origin"] == "*"
    assert "Access-Control-Allow-Credentials" not in ok.headers


def test_userinfo_allows_any_origin_and_the_authorization_header(http, aws):
    response = http.get("/userinfo", headers={**ORIGIN, "Authorization": "Bearer x"})
    assert response.status_code == 401
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "Authorization" in response.headers["Access-Control-Allow-Headers"]


@pytest.mark.parametrize("path", ["/login", "/authorize", "/device"])
def test_pages_send_no_cors_headers(http, aws, path):
    assert "Access-Control-Allow-Origin" not in http.get(path, headers=ORIGIN).headers
