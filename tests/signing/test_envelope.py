"""SIGNING_MODE=envelope: wrapped key pairs, decrypted once per container, signing locally."""

from __future__ import annotations

import base64
import json

import jwt
import pytest

from tests.helpers.faults import aws_fault
from tests.helpers.forms import basic, post_form

GRANT = {"grant_type": "client_credentials"}


def token(http, client, secret) -> str:
    response = post_form(http, "/token", GRANT, basic(client.client_id, secret))
    assert response.status_code == 200, response.body
    return json.loads(response.body)["access_token"]


@pytest.mark.parametrize("alg", ["RS256", "ES256"])
def test_envelope_signed_jwt_verifies_with_the_published_key(envelope_mode, aws, alg):
    from chalicelib.signing import jws, keys

    signed = jws.sign_jwt({"sub": "x"}, alg=alg)
    kid = jwt.get_unverified_header(signed)["kid"]
    jwk = next(k for k in keys.jwks()["keys"] if k["kid"] == kid)
    assert keys.active_key(alg).encrypted_private_key
    assert jwt.decode(signed, jwt.PyJWK(jwk).key, algorithms=[alg]) == {"sub": "x"}


def test_warm_envelope_token_request_makes_no_aws_call(envelope_mode, http, make_client, aws_calls):
    client, secret = make_client()
    token(http, client, secret)
    aws_calls.clear()
    token(http, client, secret)
    assert aws_calls == []


def test_private_key_is_decrypted_once_per_container(envelope_mode, http, make_client, aws_calls):
    from tests.helpers.aws import reset_caches

    client, secret = make_client()
    reset_caches()  # a new container
    for _ in range(3):
        token(http, client, secret)
    assert aws_calls.count("kms:Decrypt") == 1
    assert "kms:Sign" not in aws_calls


def test_private_key_is_stored_only_wrapped_and_bound_to_its_kid(envelope_mode, aws):
    import boto3
    from botocore.exceptions import ClientError
    from cryptography.hazmat.primitives.serialization import load_der_private_key

    from chalicelib.signing import keys

    key = keys.active_key("RS256")
    blob = base64.b64decode(key.encrypted_private_key)
    with pytest.raises(ValueError):
        load_der_private_key(blob, password=None)
    other = {"purpose": "gatehouse-signing-key", "kid": keys.active_key("ES256").kid}
    with pytest.raises(ClientError, match="InvalidCiphertext"):
        boto3.client("kms").decrypt(CiphertextBlob=blob, EncryptionContext=other)


def test_failing_kms_decrypt_is_503_and_the_next_request_succeeds(envelope_mode, http, make_client):
    from chalicelib.signing import kms
    from tests.helpers.aws import reset_caches

    client, secret = make_client()
    reset_caches()
    with aws_fault(kms.client(), "Decrypt", "KMSInternalException", 500) as calls:
        response = post_form(http, "/token", GRANT, basic(client.client_id, secret))
    assert calls and response.status_code == 503
    assert json.loads(response.body)["error"] == "temporarily_unavailable"
    assert token(http, client, secret)


def test_rotation_in_envelope_mode_stages_then_promotes_wrapped_keys(envelope_mode, aws):
    from chalicelib.signing import jws, keys, rotation

    first = rotation.rotate("ES256")
    second = rotation.rotate("ES256")
    active = keys.active_key("ES256")
    assert active.kid == first["staged"] == second["activated"]
    assert active.encrypted_private_key
    assert jwt.get_unverified_header(jws.sign_jwt({}, alg="ES256"))["kid"] == active.kid


def test_envelope_mode_without_keys_answers_server_error_naming_keys_init(envelope_mode, aws):
    from chalicelib.errors import ServerError
    from chalicelib.models import SigningKeyModel
    from chalicelib.signing import keys

    for record in SigningKeyModel.scan():
        record.delete()
    keys.reset_cache()
    with pytest.raises(ServerError) as raised:
        keys.active_key("RS256")
    assert "keys init" in raised.value.detail


def test_unknown_signing_mode_is_refused_at_load(monkeypatch):
    from chalicelib.config import get_settings

    monkeypatch.setenv("SIGNING_MODE", "hsm")
    get_settings.cache_clear()
    try:
        with pytest.raises(RuntimeError, match="SIGNING_MODE"):
            get_settings()
    finally:
        monkeypatch.delenv("SIGNING_MODE")
        get_settings.cache_clear()


def test_retired_envelope_key_leaves_the_set_but_the_envelope_key_is_never_deleted(
    envelope_mode, aws, clock, aws_calls
):
    # Every envelope-mode key is wrapped under the one envelope key: deleting it in KMS
    # would make every wrapped key, the active one included, undecryptable.
    import boto3

    from chalicelib.models import SigningKeyModel
    from chalicelib.signing import jws, keys, rotation

    day = 86400
    old = keys.active_key("ES256")
    for step in (30 * day, day, 2 * day):  # stage, activate, retire window over
        clock.advance(step)
        rotation.tick()
    assert SigningKeyModel.get(old.kid).state == "deleted"
    assert "kms:ScheduleKeyDeletion" not in aws_calls
    wrap_key = boto3.client("kms").describe_key(KeyId=old.kms_key_id)["KeyMetadata"]
    assert wrap_key["KeyState"] == "Enabled"
    signed = jws.sign_jwt({}, alg="ES256")
    assert jwt.get_unverified_header(signed)["kid"] == keys.active_key("ES256").kid


def test_envelope_key_is_created_with_the_stage_tag(envelope_mode, aws):
    import boto3

    from chalicelib.signing import envelope

    kms = boto3.client("kms")
    arn = kms.describe_key(KeyId=envelope.wrap_alias())["KeyMetadata"]["Arn"]
    assert kms.list_resource_tags(KeyId=arn)["Tags"] == [
        {"TagKey": "gatehouse:stage", "TagValue": "test"}
    ]
