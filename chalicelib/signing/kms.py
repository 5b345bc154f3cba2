"""AWS KMS: the one client, and the JOSE forms of what it returns.

RFC 7518 §3.3/§3.4 (RS256, ES256), RFC 7517 (JWK), RFC 7638 (thumbprint = kid).
Decisions, from what was measured (DESIGN.md, Facts about the tools):
* Sign with `MessageType=RAW` (moto hashes a DIGEST again); KMS takes at most 4096 bytes
  of signing input, which jws.py checks before calling.
* KMS returns ECDSA signatures DER-encoded; JWS needs R||S, 32 bytes each.
* A JWK carries only the thumbprint members plus kid, alg and use, never private members.
* Every key we create carries the tag `gatehouse:stage` = the stage (`stage_tags`), and IAM
  grants by that tag: an alias or tag change takes up to 5 minutes to reach IAM, a tag set
  at creation is there before the key is ever used.
* moto's ScheduleKeyDeletion takes only a bare key id (an ARN raises inside moto), so
  `schedule_deletion` passes the id; AWS takes either.
* One client per container, with the stage's endpoint, short timeouts and few retries, so
  a KMS outage answers 503 quickly instead of hanging a Lambda. Its botocore events report
  each call to observability.py, and a call that ends throttled as KmsThrottled.
"""

from __future__ import annotations

import base64
import json
from functools import lru_cache
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.hazmat.primitives.serialization import load_der_public_key

from chalicelib import observability
from chalicelib.config import get_settings
from chalicelib.models import aws_session

# alg -> (KMS KeySpec, KMS SigningAlgorithm)
ALGORITHMS = {
    "RS256": ("RSA_2048", "RSASSA_PKCS1_V1_5_SHA_256"),
    "ES256": ("ECC_NIST_P256", "ECDSA_SHA_256"),
}
MESSAGE_LIMIT = 4096
STAGE_TAG = "gatehouse:stage"
DELETION_WINDOW_DAYS = 30
THUMBPRINT_MEMBERS = {"RSA": ("e", "kty", "n"), "EC": ("crv", "kty", "x", "y")}


@lru_cache(maxsize=1)
def client() -> Any:
    # botocore alone, on the tables' session (models.aws_session): boto3 and s3transfer are
    # import time a cold start would spend for nothing, and a second session would parse
    # botocore's endpoint data again. Only a container that signs or unwraps a key makes it.
    from botocore.config import Config

    settings = get_settings()
    config = Config(
        retries={"max_attempts": settings.aws_retry_attempts, "mode": "standard"},
        connect_timeout=2,
        read_timeout=5,
    )
    # The region is botocore's own choice (AWS_DEFAULT_REGION, then the profile), as for
    # the tables.
    kms = aws_session().create_client("kms", endpoint_url=settings.endpoint_url, config=config)
    kms.meta.events.register("before-call.kms", observability.aws_call)
    kms.meta.events.register("after-call.kms", _report_throttling)
    return kms


def _report_throttling(parsed: dict[str, Any], **_: Any) -> None:
    # after-call comes once per call, after botocore's retries: a throttle that a retry
    # absorbed is not counted, one that reached us (and became a 503) is.
    if parsed.get("Error", {}).get("Code") == "ThrottlingException":
        observability.count(observability.KMS_THROTTLED)


def sign(kms_key_id: str, alg: str, message: bytes) -> bytes:
    """The JOSE signature of `message` (at most MESSAGE_LIMIT bytes) by an asymmetric KMS key."""
    response = client().sign(
        KeyId=kms_key_id, Message=message, MessageType="RAW", SigningAlgorithm=ALGORITHMS[alg][1]
    )
    signature = response["Signature"]
    return jose_ecdsa(signature) if alg == "ES256" else signature


def jose_ecdsa(der: bytes) -> bytes:
    """RFC 7518 §3.4: an ECDSA P-256 signature as R||S, 32 bytes each (DER in)."""
    r, s = decode_dss_signature(der)
    return r.to_bytes(32, "big") + s.to_bytes(32, "big")


def base64url(data: bytes) -> bytes:
    """RFC 7515 §2: base64url without padding."""
    return base64.urlsafe_b64encode(data).rstrip(b"=")


def thumbprint(jwk: dict[str, str]) -> str:
    """RFC 7638 §3: SHA-256 over the required members, sorted, no whitespace."""
    members = {name: jwk[name] for name in THUMBPRINT_MEMBERS[jwk["kty"]]}
    canonical = json.dumps(members, separators=(",", ":"), sort_keys=True).encode()
    digest = hashes.Hash(hashes.SHA256())
    digest.update(canonical)
    return base64url(digest.finalize()).decode()


def public_jwk_from_der(der: bytes, alg: str) -> dict[str, str]:
    """The public JWK (kid = thumbprint) of a SubjectPublicKeyInfo DER key."""
    # PyJWT (and all it imports) only where a key is registered, never on a signing path.
    from jwt.algorithms import ECAlgorithm, RSAAlgorithm

    public_key = load_der_public_key(der)
    algorithm = RSAAlgorithm if alg == "RS256" else ECAlgorithm
    jwk = algorithm.to_jwk(public_key, as_dict=True)
    jwk = {k: v for k, v in jwk.items() if k in THUMBPRINT_MEMBERS[jwk["kty"]]}
    return {**jwk, "kid": thumbprint(jwk), "alg": alg, "use": "sig"}


def public_jwk(kms_key_id: str, alg: str) -> dict[str, str]:
    """The public JWK of an asymmetric KMS key."""
    der = client().get_public_key(KeyId=kms_key_id)["PublicKey"]
    return public_jwk_from_der(der, alg)


def key_arn(key_id_or_alias: str) -> str:
    return client().describe_key(KeyId=key_id_or_alias)["KeyMetadata"]["Arn"]


def alias_target(alias: str) -> str | None:
    """The ARN of the key behind `alias`, or None if there is no such alias."""
    try:
        return key_arn(alias)
    except client().exceptions.NotFoundException:
        return None


def stage_tags() -> list[dict[str, str]]:
    """The tag every key of this stage carries from creation: IAM grants by it (the
    policies in .chalice/ and infra/template.json name the same key)."""
    return [{"TagKey": STAGE_TAG, "TagValue": get_settings().stage}]


def create_signing_key(alg: str, description: str) -> str:
    """A new asymmetric KMS key for `alg`, tagged with the stage; returns its ARN."""
    metadata = client().create_key(
        KeyUsage="SIGN_VERIFY",
        KeySpec=ALGORITHMS[alg][0],
        Description=description,
        Tags=stage_tags(),
    )["KeyMetadata"]
    return metadata["Arn"]


def ensure_symmetric_key(alias: str, description: str) -> str:
    """The ARN of the symmetric key behind `alias`, created tagged (with the alias) if missing."""
    arn = alias_target(alias)
    if arn is None:
        arn = client().create_key(
            KeyUsage="ENCRYPT_DECRYPT",
            KeySpec="SYMMETRIC_DEFAULT",
            Description=description,
            Tags=stage_tags(),
        )["KeyMetadata"]["Arn"]
        create_alias(alias, arn)
    return arn


def create_alias(alias: str, kms_key_id: str) -> None:
    """Name a new key (a fresh emulator only: a deployed stage's aliases come from infra/)."""
    client().create_alias(AliasName=alias, TargetKeyId=kms_key_id)


def schedule_deletion(kms_key_id: str) -> None:
    """Schedule the key's deletion after the longest window KMS allows (30 days, in which
    `CancelKeyDeletion` undoes it); a key already pending deletion is left as it is."""
    kms = client()
    key_id = kms_key_id.rsplit("/", 1)[-1]  # moto's ScheduleKeyDeletion takes no ARN
    try:
        kms.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=DELETION_WINDOW_DAYS)
    except kms.exceptions.KMSInvalidStateException:
        state = kms.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"]
        if state != "PendingDeletion":
            raise


def encrypt(key_id: str, plaintext: bytes, context: dict[str, str]) -> tuple[bytes, str]:
    """(ciphertext, ARN of the key that encrypted it)."""
    response = client().encrypt(KeyId=key_id, Plaintext=plaintext, EncryptionContext=context)
    return response["CiphertextBlob"], response["KeyId"]


def decrypt(ciphertext: bytes, context: dict[str, str], key_id: str | None = None) -> bytes:
    """The plaintext; `key_id` (AWS's best practice) makes KMS refuse any other key's blob."""
    arguments: dict[str, Any] = {"CiphertextBlob": ciphertext, "EncryptionContext": context}
    if key_id:
        arguments["KeyId"] = key_id
    return client().decrypt(**arguments)["Plaintext"]
