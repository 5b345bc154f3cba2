"""Client credentials grant (RFC 6749 §4.4) through the Chalice app against moto."""

from __future__ import annotations

import json
from typing import Any

import boto3
import jwt
import pytest
from cryptography.hazmat.primitives.serialization import load_der_public_key

from tests.helpers.forms import basic, post_form

GRANT = {"grant_type": "client_credentials"}


def kms_public_key(kid: str) -> Any:
    """The public key straight from KMS, not from our JWKS code."""
    from chalicelib.models import SigningKeyModel

    record = SigningKeyModel.get(kid)
    der = boto3.client("kms").get_public_key(KeyId=record.kms_key_id)["PublicKey"]
    return load_der_public_key(der)


def test_token_verifies_with_the_kms_public_key_and_carries_rfc9068_claims(http, make_client):
    client, secret = make_client(scope="api:read api:write")
    response = post_form(http, "/token", GRANT, basic(client.client_id, secret))
    assert response.status_code == 200
    body = json.loads(response.body)
    assert body["token_type"] == "Bearer" and body["scope"] == "api:read api:write"
    assert "refresh_token" not in body
    header = jwt.get_unverified_header(body["access_token"])
    assert header["typ"] == "at+jwt" and header["alg"] == "RS256"
    claims = jwt.decode(
        body["access_token"],
        kms_public_key(header["kid"]),
        algorithms=["RS256"],
        audience="urn:gatehouse:api",
        issuer="https://auth.test",
    )
    assert claims["sub"] == claims["client_id"] == client.client_id
    assert claims["exp"] - claims["iat"] == body["expires_in"] == 3600
    assert len(claims["jti"]) >= 32


def test_token_response_is_never_cached(http, make_client):
    client, secret = make_client()
    response = post_form(http, "/token", GRANT, basic(client.client_id, secret))
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Pragma"] == "no-cache"


def test_client_secret_post_authenticates_a_client_registered_for_it(http, make_client):
    client, secret = make_client(auth_method="client_secret_post")
    form = {**GRANT, "client_id": client.client_id, "client_secret": secret}
    assert post_form(http, "/token", form).status_code == 200


def test_requested_scope_narrows_the_token(http, make_client):
    client, secret = make_client(scope="api:read api:write")
    form = {**GRANT, "scope": "api:read"}
    body = json.loads(post_form(http, "/token", form, basic(client.client_id, secret)).body)
    assert body["scope"] == "api:read"
    assert jwt.decode(body["access_token"], options={"verify_signature": False})["scope"] == (
        "api:read"
    )


def test_resource_parameter_sets_the_audience(http, make_client):
    from chalicelib.records.resources import create_resource

    create_resource("https://orders.example.com/", "")
    client, secret = make_client(resources=["https://orders.example.com/"])
    form = {**GRANT, "resource": "https://orders.example.com/"}
    body = json.loads(post_form(http, "/token", form, basic(client.client_id, secret)).body)
    claims = jwt.decode(body["access_token"], options={"verify_signature": False})
    assert claims["aud"] == "https://orders.example.com/"


def test_resource_with_fragment_is_invalid_target(http, make_client):
    client, secret = make_client()
    form = {**GRANT, "resource": "https://orders.example.com/#x"}
    response = post_form(http, "/token", form, basic(client.client_id, secret))
    assert response.status_code == 400
    assert json.loads(response.body)["error"] == "invalid_target"


def test_resource_values_too_large_to_sign_are_invalid_target_not_a_server_error(http, make_client):
    # RFC 8707 §2: a resource the server will not accept is invalid_target; a token whose
    # signing input would pass KMS's 4096-byte limit must never become a 500.
    client, secret = make_client()
    many = "&".join(f"resource=https://rs{i}.example/{'a' * 900}" for i in range(5))
    single = "resource=https://rs.example/" + "%C3%A9" * 1500
    for resources in (many, single):
        body = f"grant_type=client_credentials&{resources}"
        response = http.post(
            "/token",
            body=body,
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                **basic(client.client_id, secret),
            },
        )
        assert response.status_code == 400, response.body
        assert json.loads(response.body)["error"] == "invalid_target"


def test_per_client_lifetime_overrides_the_default(http, make_client):
    client, secret = make_client(access_token_lifetime=300)
    body = json.loads(post_form(http, "/token", GRANT, basic(client.client_id, secret)).body)
    assert body["expires_in"] == 300


def test_access_token_kid_is_published_in_the_jwks(http, make_client):
    client, secret = make_client()
    body = json.loads(post_form(http, "/token", GRANT, basic(client.client_id, secret)).body)
    jwks = json.loads(http.get("/jwks.json").body)
    kid = jwt.get_unverified_header(body["access_token"])["kid"]
    assert kid in {key["kid"] for key in jwks["keys"]}


@pytest.mark.parametrize("secret_chars", ["a:b", "p@ss w%rd+"])
def test_basic_credentials_are_form_urlencoded_before_base64(http, aws, secret_chars):
    # RFC 6749 §2.3.1: id and secret are form-urlencoded inside the Basic header.
    from urllib.parse import quote_plus

    from chalicelib.models import ClientModel
    from chalicelib.opaque import sha256_hex
    from chalicelib.records.registration import create_client

    client, _ = create_client(name="x", grant_types=["client_credentials"])
    ClientModel(client_id=client.client_id).update(
        actions=[ClientModel.secret_hash.set(sha256_hex(secret_chars))]
    )
    from chalicelib.records import clients

    clients.reset_cache()
    headers = basic(quote_plus(client.client_id), quote_plus(secret_chars))
    assert post_form(http, "/token", GRANT, headers).status_code == 200
