"""private_key_jwt (RFC 7523 §2.2, §3): every rule of a client assertion, refused with
invalid_client and nothing issued, at every endpoint that authenticates a client; the jti
single-use, raced with real threads; exactly one authentication method per request."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import jwt
import pytest

from tests.helpers.assertions import (
    ISSUER,
    JWT_BEARER,
    assertion,
    ec_key,
    error,
    jwks,
    post_assertion,
    public_jwk,
    rsa_key,
    token,
)
from tests.helpers.forms import basic, post_form


@pytest.fixture
def signer() -> Any:
    return ec_key()


@pytest.fixture
def keyed(make_client: Any, signer: Any) -> Any:
    client, secret = make_client(auth_method="private_key_jwt", jwks=jwks(public_jwk(signer, "k1")))
    assert secret is None
    return client


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


def unsigned(client_id: str) -> str:
    now = int(time.time())
    claims = {"iss": client_id, "sub": client_id, "aud": ISSUER, "exp": now + 60, "jti": "n"}
    return jwt.encode(claims, None, algorithm="none")


# case -> the assertion, from (client_id, its registered key, another client's id, now)
REFUSALS: dict[str, Callable[[str, Any, str, int], str]] = {
    "wrong audience": lambda c, k, o, now: assertion(c, k, aud="https://elsewhere.example/token"),
    "another endpoint of ours as audience": lambda c, k, o, now: assertion(
        c, k, aud=f"{ISSUER}/revoke"
    ),
    "expired": lambda c, k, o, now: assertion(c, k, iat=now - 600, exp=now - 300),
    "no exp": lambda c, k, o, now: assertion(c, k, exp=None),
    "exp too far ahead": lambda c, k, o, now: assertion(c, k, exp=now + 7200),
    "no jti": lambda c, k, o, now: assertion(c, k, jti=None),
    "empty jti": lambda c, k, o, now: assertion(c, k, jti=""),
    "another issuer": lambda c, k, o, now: assertion(c, k, iss="someone-else"),
    "sub names another client": lambda c, k, o, now: assertion(c, k, sub=o),
    "not yet valid": lambda c, k, o, now: assertion(c, k, nbf=now + 600),
    "issued in the future": lambda c, k, o, now: assertion(c, k, iat=now + 600),
    "signed by another key": lambda c, k, o, now: assertion(c, ec_key()),
    "unknown kid": lambda c, k, o, now: assertion(c, ec_key(), kid="k9"),
    "alg none": lambda c, k, o, now: unsigned(c),
    "RS256 where an EC key is registered": lambda c, k, o, now: assertion(
        c, rsa_key(), alg="RS256"
    ),
    "garbage": lambda c, k, o, now: "not.a.jwt",
    "too large": lambda c, k, o, now: assertion(c, k, padding="x" * 9000),
}


@pytest.mark.parametrize("case", REFUSALS)
def test_each_broken_rule_is_invalid_client_and_issues_nothing(
    http, make_client, keyed, signer, case
):
    other, _ = make_client(auth_method="private_key_jwt", jwks=jwks(public_jwk(signer, "k1")))
    signed = REFUSALS[case](keyed.client_id, signer, other.client_id, int(time.time()))
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
    jwk_text = json.dumps(public_jwk(signer, "k1")).encode()
    for secret in (pem, jwk_text):
        forged = hs256_by_hand({"alg": "HS256", "typ": "JWT", "kid": "k1"}, claims, secret)
        assert error(token(http, forged)) == "invalid_client"


def test_a_key_in_the_header_is_refused_even_the_registered_one(http, keyed, signer):
    now = int(time.time())
    claims = {"iss": keyed.client_id, "sub": keyed.client_id, "aud": ISSUER, "exp": now + 60,
              "jti": "j"}  # fmt: skip
    embedded = jwt.encode(claims, signer, algorithm="ES256",
                          headers={"kid": "k1", "jwk": public_jwk(signer, "k1")})  # fmt: skip
    assert error(token(http, embedded)) == "invalid_client"


def test_a_jti_is_single_use(http, keyed, signer):
    signed = assertion(keyed.client_id, signer)
    assert token(http, signed).status_code == 200
    again = token(http, signed)
    assert again.status_code == 400 and error(again) == "invalid_client"


def test_one_jti_is_spent_per_client_so_two_clients_may_use_the_same(http, make_client, signer):
    first, _ = make_client(auth_method="private_key_jwt", jwks=jwks(public_jwk(signer, "k1")))
    second, _ = make_client(auth_method="private_key_jwt", jwks=jwks(public_jwk(signer, "k1")))
    for client in (first, second):
        signed = assertion(client.client_id, signer, jti="shared-jti")
        assert token(http, signed).status_code == 200


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


def test_a_client_id_in_the_form_must_be_the_assertions(http, make_client, keyed, signer):
    other, _ = make_client()
    signed = assertion(keyed.client_id, signer)
    assert error(token(http, signed, client_id=other.client_id)) == "invalid_client"
    assert token(http, signed, client_id=keyed.client_id).status_code == 200


def test_an_assertion_type_other_than_jwt_bearer_is_refused(http, keyed, signer):
    saml = "urn:ietf:params:oauth:client-assertion-type:saml2-bearer"
    form = {"grant_type": "client_credentials", "client_assertion_type": saml,
            "client_assertion": assertion(keyed.client_id, signer)}  # fmt: skip
    assert error(post_form(http, "/token", form)) == "invalid_client"


def test_a_secret_client_cannot_authenticate_with_an_assertion(http, make_client, signer):
    client, _ = make_client()
    assert error(token(http, assertion(client.client_id, signer))) == "invalid_client"


def test_a_private_key_jwt_client_cannot_fall_back_to_a_secret_or_none(http, keyed):
    for form in ({"client_id": keyed.client_id, "client_secret": "guess"},
                 {"client_id": keyed.client_id}):  # fmt: skip
        response = post_form(http, "/token", {"grant_type": "client_credentials", **form})
        assert error(response) == "invalid_client"


def test_revocation_and_introspection_accept_the_assertion(http, make_client, signer):
    client, _ = make_client(auth_method="private_key_jwt", can_introspect=True,
                            jwks=jwks(public_jwk(signer, "k1")))  # fmt: skip
    access = json.loads(token(http, assertion(client.client_id, signer)).body)["access_token"]

    def check(path: str) -> Any:
        return post_assertion(http, path, assertion(client.client_id, signer), token=access)

    assert json.loads(check("/introspect").body)["active"] is True
    assert check("/revoke").status_code == 200
    assert json.loads(check("/introspect").body)["active"] is False
    spent = post_assertion(http, "/introspect", assertion(client.client_id, signer, jti="once"),
                           token=access)  # fmt: skip
    replayed = post_assertion(http, "/revoke", assertion(client.client_id, signer, jti="once"),
                              token=access)  # fmt: skip
    assert spent.status_code == 200 and error(replayed) == "invalid_client"


def test_device_authorization_accepts_the_assertion(http, make_client, signer):
    grant = "urn:ietf:params:oauth:grant-type:device_code"
    client, _ = make_client(auth_method="private_key_jwt", grant_types=[grant],
                            jwks=jwks(public_jwk(signer, "k1")))  # fmt: skip
    started = post_assertion(http, "/device_authorization", assertion(client.client_id, signer),
                             scope="api:read")  # fmt: skip
    assert started.status_code == 200, started.body
    assert json.loads(started.body)["device_code"]
    wrong = assertion(client.client_id, signer, aud="https://elsewhere.example")
    refused = post_assertion(http, "/device_authorization", wrong, scope="api:read")
    assert error(refused) == "invalid_client"


def test_the_request_log_names_the_asserting_client_and_never_the_assertion(http, keyed, signer):
    from tests.helpers.observed import json_logs

    signed = assertion(keyed.client_id, signer)
    with json_logs() as logs:
        assert token(http, signed).status_code == 200
        refused = token(http, signed)
    assert error(refused) == "invalid_client"
    lines = logs.requests()
    assert [line["client_id"] for line in lines] == [keyed.client_id] * 2
    assert signed.split(".")[2] not in logs.text


def test_a_throttled_jti_write_is_503_and_leaves_the_assertion_unspent(http, keyed, signer):
    from chalicelib.models import RevokedTokenModel
    from tests.helpers.faults import aws_fault

    signed = assertion(keyed.client_id, signer)
    dynamodb = RevokedTokenModel._get_connection().connection.client
    with aws_fault(dynamodb, "PutItem", "ProvisionedThroughputExceededException") as calls:
        throttled = token(http, signed)
    assert calls and throttled.status_code == 503
    assert error(throttled) == "temporarily_unavailable"
    assert token(http, signed).status_code == 200
