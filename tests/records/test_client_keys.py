"""Registering a private_key_jwt client's keys (RFC 7591 §2, RFC 7517): a JWK Set of public
signing keys only, or a jwks_uri we may fetch, never both, each refusal an
invalid_client_metadata that stores nothing."""

from __future__ import annotations

from typing import Any

import pytest

from tests.helpers.assertions import ec_key, jwks, public_jwk, rsa_key

BAD_KEY_SETS = {
    "a private key": lambda: jwks({**public_jwk(ec_key(), "p"), "d": "AAAA"}),
    "a private key among public ones": lambda: jwks(
        public_jwk(ec_key(), "a"), {**public_jwk(rsa_key(), "b", alg="RS256"), "p": "AQAB"}
    ),
    "a private encryption key": lambda: jwks(
        public_jwk(ec_key(), "a"), {**public_jwk(ec_key(), "e"), "use": "enc", "d": "AAAA"}
    ),
    "a symmetric key": lambda: jwks({"kty": "oct", "k": "c2VjcmV0"}),
    "a symmetric key without its k": lambda: jwks({"kty": "oct", "kid": "s"}),
    "an RSA key of 1024 bits": lambda: jwks(public_jwk(rsa_key(1024), "r", alg="RS256")),
    "an EC key off P-256": lambda: jwks({**public_jwk(ec_key(), "c"), "crv": "P-384"}),
    "an EC point off the curve": lambda: jwks({**public_jwk(ec_key(), "c"), "x": "AAAA"}),
    "encryption keys only": lambda: jwks({**public_jwk(ec_key(), "e"), "use": "enc"}),
    "no keys": lambda: jwks(),
    "eleven keys": lambda: jwks(*[public_jwk(ec_key(), str(n)) for n in range(11)]),
    "not a set": lambda: public_jwk(ec_key(), "p"),
    "not JSON": lambda: "{keys",
}  # fmt: skip


@pytest.mark.parametrize("case", list(BAD_KEY_SETS))
def test_registration_refuses_key_sets_that_are_not_public_signing_keys(make_client, case):
    from chalicelib.errors import InvalidClientMetadata
    from chalicelib.models import ClientModel

    with pytest.raises(InvalidClientMetadata):
        make_client(auth_method="private_key_jwt", jwks=BAD_KEY_SETS[case]())
    assert ClientModel.count() == 0


def test_a_set_with_an_encryption_key_beside_a_signing_key_is_registered(make_client):
    keys = jwks(public_jwk(ec_key(), "s"), {**public_jwk(rsa_key(), "e", alg="RS256"),
                                            "use": "enc"})  # fmt: skip
    client, _ = make_client(auth_method="private_key_jwt", jwks=keys)
    assert client.token_endpoint_auth_method == "private_key_jwt"


def test_registration_refuses_both_jwks_and_jwks_uri_and_keys_without_the_method(make_client):
    from chalicelib.errors import InvalidClientMetadata

    keys = jwks(public_jwk(ec_key(), "k"))
    with pytest.raises(InvalidClientMetadata):
        make_client(auth_method="private_key_jwt", jwks=keys, jwks_uri="https://c.example/j")
    with pytest.raises(InvalidClientMetadata):
        make_client(auth_method="private_key_jwt")
    with pytest.raises(InvalidClientMetadata):
        make_client(jwks=keys)
    with pytest.raises(InvalidClientMetadata):
        make_client(
            auth_method="private_key_jwt", jwks=keys, token_endpoint_auth_signing_alg="HS256"
        )


@pytest.mark.parametrize("uri", [
    "http://c.example/jwks.json", "http://127.0.0.1:8080/jwks.json", "https://user@c.example/j",
    "ftp://c.example/jwks.json", "not a url", "https://10.0.0.1/jwks.json",
    "https://[::ffff:169.254.169.254]/jwks.json",
])  # fmt: skip
def test_a_deployed_stage_refuses_a_jwks_uri_it_would_not_fetch(make_client, uri):
    from chalicelib.errors import InvalidClientMetadata

    with pytest.raises(InvalidClientMetadata):
        make_client(auth_method="private_key_jwt", jwks_uri=uri)


def test_the_local_stage_takes_a_loopback_jwks_uri(make_client, settings_env: Any):
    settings_env(GATEHOUSE_STAGE="local")
    client, _ = make_client(auth_method="private_key_jwt", jwks_uri="http://127.0.0.1:9/j.json")
    assert client.jwks_uri == "http://127.0.0.1:9/j.json"
