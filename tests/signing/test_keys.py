"""KMS-backed signing: RFC 7638 kids, ES256 in JOSE form, rotation, alias bootstrap."""

from __future__ import annotations

import json

import jwt
import pytest
from joserfc.jwk import JWKRegistry

RFC7638_EXAMPLE = {
    "kty": "RSA",
    "n": "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_B"
    "JECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2"
    "QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6"
    "WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw",
    "e": "AQAB",
    "alg": "RS256",
    "kid": "2011-04-29",
}


def test_kid_is_the_rfc7638_thumbprint():
    from chalicelib.signing.kms import thumbprint

    assert thumbprint(RFC7638_EXAMPLE) == "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"


@pytest.mark.parametrize("alg", ["RS256", "ES256"])
def test_signed_jwt_verifies_with_the_published_key(aws, alg):
    from chalicelib.signing import jws, keys

    token = jws.sign_jwt({"sub": "x", "iat": 1}, alg=alg)
    header = jwt.get_unverified_header(token)
    published = {k["kid"]: k for k in keys.jwks()["keys"]}
    jwk = published[header["kid"]]
    assert jwk["alg"] == alg and jwk["use"] == "sig"
    assert JWKRegistry.import_key(jwk).thumbprint() == header["kid"]  # RFC 7638, by joserfc
    assert jwt.decode(token, jwt.PyJWK(jwk).key, algorithms=[alg]) == {"sub": "x", "iat": 1}


def test_es256_signature_is_jose_r_s_not_der(aws):
    from jwt.utils import base64url_decode

    from chalicelib.signing import jws

    token = jws.sign_jwt({"sub": "x"}, alg="ES256")
    assert len(base64url_decode(token.split(".")[2].encode())) == 64


def test_jwks_publishes_only_public_members(aws):
    from chalicelib.signing import keys

    for jwk in keys.jwks()["keys"]:
        assert not {"d", "p", "q", "dp", "dq", "qi"} & jwk.keys()


def test_signing_input_over_the_kms_limit_is_refused(aws):
    from chalicelib.errors import ServerError
    from chalicelib.signing import jws

    with pytest.raises(ServerError):
        jws.sign_jwt({"pad": "x" * 5000})


def test_rotation_publishes_next_before_it_signs_and_keeps_retired_until_tokens_expire(aws):
    from chalicelib.signing import jws, keys, rotation

    before = keys.active_key("RS256")
    staged = rotation.rotate("RS256")  # first rotation only stages
    assert staged["activated"] is None
    assert staged["staged"] in {k["kid"] for k in keys.jwks()["keys"]}
    assert keys.active_key("RS256").kid == before.kid
    assert jwt.get_unverified_header(jws.sign_jwt({}))["kid"] == before.kid

    second = rotation.rotate("RS256")  # promotes the staged key, retires the old one
    assert second["activated"] == staged["staged"]
    assert jwt.get_unverified_header(jws.sign_jwt({}))["kid"] == staged["staged"]
    published = {k["kid"] for k in keys.jwks()["keys"]}
    assert {before.kid, staged["staged"], second["staged"]} <= published


def test_retired_key_leaves_the_jwks_after_the_retire_window(aws, clock):
    from chalicelib.signing import keys, rotation

    old = keys.active_key("RS256").kid
    rotation.rotate("RS256")
    rotation.rotate("RS256")
    assert old in {k["kid"] for k in keys.jwks()["keys"]}
    clock.advance(3 * 86400)
    assert old not in {k["kid"] for k in keys.jwks()["keys"]}
    assert keys.find_key(old) is None


def test_key_behind_the_stage_alias_is_registered_on_first_use(aws):
    # A CloudFormation deployment creates the key and alias but no SigningKey record.
    from chalicelib.models import SigningKeyModel
    from chalicelib.signing import keys, kms

    for record in SigningKeyModel.scan():
        record.delete()
    keys.reset_cache()
    arn = kms.client().describe_key(KeyId=keys.alias_name("RS256"))["KeyMetadata"]["Arn"]
    key = keys.active_key("RS256")
    assert key.kms_key_id == arn
    assert json.loads(SigningKeyModel.get(key.kid).public_jwk)["kid"] == key.kid
