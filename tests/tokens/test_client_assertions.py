"""private_key_jwt (RFC 7523 §2.2, §3): every rule of a client assertion, refused with
invalid_client and nothing issued; single-use jti raced with real threads; keys inline or
from a jwks_uri; registration refuses private or symmetric keys."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from tests.helpers.forms import basic, post_form

ISSUER = "https://auth.test"
JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


def ec_key() -> Any:
    return ec.generate_private_key(ec.SECP256R1())


def public_jwk(private: Any, kid: str, alg: str = "ES256") -> dict[str, Any]:
    algorithm = jwt.get_algorithm_by_name(alg)
    jwk = json.loads(algorithm.to_jwk(private.public_key()))
    return {**jwk, "kid": kid, "use": "sig"}


@pytest.fixture
def signer() -> Any:
    return ec_key()


@pytest.fixture
def keyed(make_client: Any, signer: Any) -> Any:
    client, secret = make_client(
        auth_method="private_key_jwt", jwks=json.dumps({"keys": [public_jwk(signer, "k1")]})
    )
    assert secret is None
    return client


def assertion(client_id: str, key: Any, alg: str = "ES256", kid: str = "k1", **claims: Any) -> str:
    now = int(time.time())
    body = {"iss": client_id, "sub": client_id, "aud": f"{ISSUER}/token", "iat": now,
            "exp": now + 60, "jti": str(uuid.uuid4()), **claims}  # fmt: skip
    body = {k: v for k, v in body.items() if v is not None}
    return jwt.encode(body, key, algorithm=alg, headers={"kid": kid} if kid else None)


def token(http: Any, signed: str, **extra: str) -> Any:
    form = {"grant_type": "client_credentials", "client_assertion_type": JWT_BEARER,
            "client_assertion": signed, **extra}  # fmt: skip
    return post_form(http, "/token", form)


def error(response: Any) -> str:
    return json.loads(response.body)["error"]


def test_a_signed_assertion_gets_a_token(http, keyed, signer):
    response = token(http, assertion(keyed.client_id, signer))
    assert response.status_code == 200, response.body
    claims = jwt.decode(
        json.loads(response.body)["access_token"], options={"verify_signature": False}
    )
    assert claims["client_id"] == keyed.client_id


def test_the_issuer_itself_is_an_accepted_audience_as_is_a_list_holding_it(http, keyed, signer):
    assert token(http, assertion(keyed.client_id, signer, aud=ISSUER)).status_code == 200
    listed = assertion(keyed.client_id, signer, aud=["https://other", ISSUER])
    assert token(http, listed).status_code == 200


def refusals(client_id: str, key: Any) -> dict[str, str]:
    now = int(time.time())
    other = ec_key()
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    unsigned = jwt.encode({"iss": client_id, "sub": client_id, "aud": ISSUER, "exp": now + 60,
                           "jti": "n"}, None, algorithm="none")  # fmt: skip
    return {
        "wrong audience": assertion(client_id, key, aud="https://elsewhere.example/token"),
        "expired": assertion(client_id, key, iat=now - 600, exp=now - 300),
        "no exp": assertion(client_id, key, exp=None),
        "exp too far ahead": assertion(client_id, key, exp=now + 7200),
        "no jti": assertion(client_id, key, jti=None),
        "another issuer": assertion(client_id, key, iss="someone-else"),
        "not yet valid": assertion(client_id, key, nbf=now + 600),
        "signed by another key": assertion(client_id, other),
        "unknown kid": assertion(client_id, other, kid="k9"),
        "alg none": unsigned,
        "RS256 where an EC key is registered": assertion(client_id, rsa_key, alg="RS256"),
        "garbage": "not.a.jwt",
    }


CASES = list(refusals("x", ec_key()))


@pytest.mark.parametrize("case", CASES)
def test_each_broken_rule_is_invalid_client_and_issues_nothing(http, keyed, signer, case):
    signed = refusals(keyed.client_id, signer)[case]
    response = token(http, signed)
    assert response.status_code == 400 and error(response) == "invalid_client", response.body
    assert "access_token" not in json.loads(response.body)


def hs256_by_hand(header: dict[str, Any], claims: dict[str, Any], secret: bytes) -> str:
    """PyJWT refuses to make this token (a public key as HMAC secret): the attack, by hand."""
    import base64
    import hashlib
    import hmac

    def b64(raw: bytes) -> str:
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    signing_input = f"{b64(json.dumps(header).encode())}.{b64(json.dumps(claims).encode())}"
    mac = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64(mac)}"


def test_hs256_with_the_public_key_as_secret_is_refused(http, keyed, signer):
    from cryptography.hazmat.primitives import serialization

    pem = signer.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    now = int(time.time())
    claims = {"iss": keyed.client_id, "sub": keyed.client_id, "aud": ISSUER, "exp": now + 60,
              "jti": "h"}  # fmt: skip
    forged = hs256_by_hand({"alg": "HS256", "typ": "JWT", "kid": "k1"}, claims, pem)
    assert error(token(http, forged)) == "invalid_client"


def test_a_jti_is_single_use(http, keyed, signer):
    signed = assertion(keyed.client_id, signer)
    assert token(http, signed).status_code == 200
    again = token(http, signed)
    assert again.status_code == 400 and error(again) == "invalid_client"


def test_parallel_uses_of_one_assertion_let_exactly_one_through(keyed, signer):
    from chalicelib.http import Params
    from chalicelib.tokens import client_assertions
    from tests.helpers.races import atomic_moto_dynamodb, race

    signed = assertion(keyed.client_id, signer)
    params = Params({"client_assertion_type": JWT_BEARER, "client_assertion": signed})

    def use() -> str:
        try:
            return client_assertions.authenticate(params).client_id
        except Exception as exc:
            return type(exc).__name__

    with atomic_moto_dynamodb():
        results = race([use] * 8)
    assert results.count(keyed.client_id) == 1
    assert set(results) - {keyed.client_id} == {"InvalidClient"}


def test_an_assertion_with_a_secret_or_basic_is_invalid_request(http, keyed, signer):
    signed = assertion(keyed.client_id, signer)
    both = token(http, signed, client_secret="x")
    assert error(both) == "invalid_request"
    form = {"grant_type": "client_credentials", "client_assertion_type": JWT_BEARER,
            "client_assertion": signed}  # fmt: skip
    with_basic = post_form(http, "/token", form, basic(keyed.client_id, "x"))
    assert error(with_basic) == "invalid_request"


def test_a_secret_client_cannot_authenticate_with_an_assertion(http, make_client, signer):
    client, _ = make_client()
    assert error(token(http, assertion(client.client_id, signer))) == "invalid_client"


def test_revocation_and_introspection_accept_the_assertion(http, make_client, signer):
    client, _ = make_client(
        auth_method="private_key_jwt", can_introspect=True,
        jwks=json.dumps({"keys": [public_jwk(signer, "k1")]}),
    )  # fmt: skip
    access = json.loads(token(http, assertion(client.client_id, signer)).body)["access_token"]

    def form() -> dict[str, str]:
        signed = assertion(client.client_id, signer)
        return {"token": access, "client_assertion_type": JWT_BEARER, "client_assertion": signed}

    active = post_form(http, "/introspect", form())
    assert json.loads(active.body)["active"] is True
    revoked = post_form(http, "/revoke", form())
    assert revoked.status_code == 200


def test_keys_from_a_jwks_uri_and_a_rotated_kid_refetched(http, make_client, settings_env):
    from chalicelib import outbound
    from tests.helpers.documents import serving

    settings_env(GATEHOUSE_STAGE="local")
    outbound.reset_cache()
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
            token(http, assertion(client.client_id, ec_key(), kid="zz"))
        assert served.hits["/jwks.json"] == 2


BAD_KEYS = [
    ("a private key", lambda k: {"keys": [{**public_jwk(k, "p"), "d": "AAAA"}]}),
    ("a symmetric key", lambda k: {"keys": [{"kty": "oct", "k": "c2VjcmV0"}]}),
    ("no keys", lambda k: {"keys": []}),
    ("not a set", lambda k: public_jwk(k, "p")),
]


@pytest.mark.parametrize(("case", "build"), BAD_KEYS, ids=[b[0] for b in BAD_KEYS])
def test_registration_refuses_unusable_key_sets(make_client, case, build):
    from chalicelib.errors import InvalidClientMetadata
    from chalicelib.models import ClientModel

    with pytest.raises(InvalidClientMetadata):
        make_client(auth_method="private_key_jwt", jwks=json.dumps(build(ec_key())))
    assert ClientModel.count() == 0


def test_registration_refuses_both_jwks_and_jwks_uri_and_keys_without_the_method(make_client):
    from chalicelib.errors import InvalidClientMetadata

    jwks = json.dumps({"keys": [public_jwk(ec_key(), "k")]})
    with pytest.raises(InvalidClientMetadata):
        make_client(auth_method="private_key_jwt", jwks=jwks, jwks_uri="https://c.example/j")
    with pytest.raises(InvalidClientMetadata):
        make_client(jwks=jwks)


def test_discovery_advertises_private_key_jwt_and_its_algorithms(http):
    metadata = json.loads(http.get("/.well-known/openid-configuration").body)
    assert "private_key_jwt" in metadata["token_endpoint_auth_methods_supported"]
    assert "private_key_jwt" in metadata["introspection_endpoint_auth_methods_supported"]
    assert metadata["token_endpoint_auth_signing_alg_values_supported"] == [
        "ES256",
        "RS256",
        "PS256",
    ]
