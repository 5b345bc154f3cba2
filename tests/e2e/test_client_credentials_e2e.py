"""A machine client gets a token from `chalice local` and a resource server verifies it."""

from __future__ import annotations

import jwt
import requests
from authlib.integrations.requests_client import OAuth2Session

from tests.helpers.stack import Stack


def test_authlib_client_credentials_token_verifies_against_discovered_jwks(stack: Stack) -> None:
    # Given a confidential client created with the admin CLI
    created = stack.admin(
        "client", "create", "--name", "Reports job", "--grant-type", "client_credentials",
        "--scope", "reports:read reports:write",
    )  # fmt: skip
    metadata = requests.get(f"{stack.issuer}/.well-known/openid-configuration", timeout=10).json()

    # When Authlib fetches a token with client_secret_basic
    oauth = OAuth2Session(created["client_id"], created["client_secret"], scope="reports:read")
    token = oauth.fetch_token(metadata["token_endpoint"], grant_type="client_credentials")

    # Then a resource server verifies it with PyJWKClient against the discovered jwks_uri
    signing_key = jwt.PyJWKClient(metadata["jwks_uri"]).get_signing_key_from_jwt(
        token["access_token"]
    )
    claims = jwt.decode(
        token["access_token"],
        signing_key.key,
        algorithms=["RS256", "ES256"],
        audience="urn:gatehouse:api",
        issuer=metadata["issuer"],
        options={"require": ["exp", "iat", "jti", "sub"]},
    )
    assert jwt.get_unverified_header(token["access_token"])["typ"] == "at+jwt"
    assert metadata["issuer"] == stack.issuer
    assert claims["client_id"] == created["client_id"] == claims["sub"]
    assert claims["scope"] == "reports:read"
    assert claims["exp"] - claims["iat"] == token["expires_in"] == 3600


def test_wrong_secret_over_http_is_401_with_basic_challenge(stack: Stack) -> None:
    created = stack.admin("client", "create", "--name", "Job", "--grant-type", "client_credentials")
    response = requests.post(
        f"{stack.issuer}/token",
        data={"grant_type": "client_credentials"},
        auth=(created["client_id"], "not-the-secret"),
        timeout=10,
    )
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
    assert response.headers["WWW-Authenticate"].startswith("Basic")


def test_browser_preflight_for_the_token_endpoint_is_answered(stack: Stack) -> None:
    response = requests.options(
        f"{stack.issuer}/token",
        headers={
            "Origin": "https://spa.example",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization",
        },
        timeout=10,
    )
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "POST" in response.headers["Access-Control-Allow-Methods"]
