"""private_key_jwt keys (RFC 7523 §2.2, RFC 7517): ES256, RS256 and PS256 assertions, an
algorithm a client pinned, a key's own `alg` and `use`, keys published at a `jwks_uri` on a
real loopback server (the local stage) with a rotated kid fetched again at most once a
minute, and a key set that cannot be had or holds a private key refused at use."""

from __future__ import annotations

from typing import Any

import pytest

from tests.helpers.assertions import assertion, ec_key, error, jwks, public_jwk, rsa_key, token
from tests.helpers.documents import serving


@pytest.mark.parametrize("alg", ["RS256", "PS256"])
def test_rsa_assertions_by_rs256_and_ps256_get_a_token(http, make_client, alg):
    client, _ = make_client(auth_method="private_key_jwt",
                            jwks=jwks(public_jwk(rsa_key(), "r", alg="RS256")))  # fmt: skip
    response = token(http, assertion(client.client_id, rsa_key(), alg=alg, kid="r"))
    assert response.status_code == 200, response.body


def test_a_pinned_algorithm_is_the_only_one_accepted(http, make_client):
    client, _ = make_client(auth_method="private_key_jwt", token_endpoint_auth_signing_alg="PS256",
                            jwks=jwks(public_jwk(rsa_key(), "r", alg="RS256")))  # fmt: skip
    assert token(http, assertion(client.client_id, rsa_key(), "PS256", "r")).status_code == 200
    assert error(token(http, assertion(client.client_id, rsa_key(), "RS256", "r"))) == (
        "invalid_client"
    )


def test_a_key_serves_only_the_alg_and_use_it_names(http, make_client):
    signer = rsa_key()
    pinned = {**public_jwk(signer, "pinned", alg="RS256"), "alg": "PS256"}
    for_encryption = {**public_jwk(ec_key(), "enc"), "use": "enc"}
    client, _ = make_client(auth_method="private_key_jwt", jwks=jwks(pinned, for_encryption))
    assert token(http, assertion(client.client_id, signer, "PS256", "pinned")).status_code == 200
    assert error(token(http, assertion(client.client_id, signer, "RS256", "pinned"))) == (
        "invalid_client"
    )


def test_an_encryption_key_never_verifies_an_assertion(http, make_client):
    signer, encrypter = ec_key(), ec_key()
    keys = jwks(public_jwk(signer, "sig"), {**public_jwk(encrypter, "enc"), "use": "enc"})
    client, _ = make_client(auth_method="private_key_jwt", jwks=keys)
    assert token(http, assertion(client.client_id, signer, kid="sig")).status_code == 200
    for kid in ("enc", None):
        signed = assertion(client.client_id, encrypter, kid=kid)
        assert error(token(http, signed)) == "invalid_client"


@pytest.fixture
def local(settings_env: Any) -> None:
    from chalicelib import outbound

    settings_env(GATEHOUSE_STAGE="local")
    outbound.reset_cache()


def test_keys_from_a_jwks_uri_and_a_rotated_kid_refetched(http, make_client, local):
    first, second = ec_key(), ec_key()
    with serving() as served:
        url = served.json("/jwks.json", {"keys": [public_jwk(first, "a")]},
                          **{"Cache-Control": "max-age=3600"})  # fmt: skip
        client, _ = make_client(auth_method="private_key_jwt", jwks_uri=url)
        assert token(http, assertion(client.client_id, first, kid="a")).status_code == 200
        served.json("/jwks.json", {"keys": [public_jwk(first, "a"), public_jwk(second, "b")]})
        rotated = token(http, assertion(client.client_id, second, kid="b"))
        assert rotated.status_code == 200, rotated.body
        assert served.hits["/jwks.json"] == 2
        for _ in range(2):  # an unknown kid refetches at most once a minute
            unknown = token(http, assertion(client.client_id, ec_key(), kid="zz"))
            assert error(unknown) == "invalid_client"
        assert served.hits["/jwks.json"] == 2


def test_a_jwks_uri_that_cannot_be_had_or_holds_a_private_key_is_invalid_client(
    http, make_client, local
):
    signer = ec_key()
    leaked = {**public_jwk(signer, "a"), "d": "AAAA"}
    with serving() as served:
        served.json("/leaked.json", {"keys": [leaked]})
        served.json("/symmetric.json", {"keys": [{"kty": "oct", "k": "c2VjcmV0"}]})
        served.routes["/html"] = (200, {"Content-Type": "text/html"}, b"<html></html>")
        for path in ("/missing.json", "/leaked.json", "/symmetric.json", "/html"):
            client, _ = make_client(auth_method="private_key_jwt", jwks_uri=served.base + path)
            response = token(http, assertion(client.client_id, signer, kid="a"))
            assert response.status_code == 400 and error(response) == "invalid_client", path
