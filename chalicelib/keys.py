"""KMS-backed JWT signing, the JWKS, and key rotation.

RFC 7515 (JWS compact), RFC 7518 §3.3/§3.4 (RS256, ES256), RFC 7638 (kid = thumbprint).
Decisions:
* Mode `kms`: every signature is one KMS Sign call with `MessageType=RAW`; the private key
  never leaves KMS. ECDSA signatures come back DER and are converted to JOSE R||S.
* Mode `envelope` (envelope.py): a key record that carries a KMS-encrypted private key is
  decrypted once per container and signs locally. The mode is per key record.
* The key set lives in the SigningKey table (one Scan, cached per container for
  `KEYS_CACHE_SECONDS`). If a table has no active key for an algorithm, the KMS key behind
  the stage's alias (`<KEY_ALIAS_PREFIX>-rs256|es256`, as infra/ creates it) is registered
  on first use, so a fresh deployment needs no manual step.
* `next` and live `retired` keys are published in the JWKS so verifiers have them before
  and after they sign; key_rotation.py moves keys through those states.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from jwt.utils import base64url_encode

from chalicelib.config import get_settings
from chalicelib.errors import ServerError

ALGORITHMS = {
    "RS256": ("RSA_2048", "RSASSA_PKCS1_V1_5_SHA_256"),
    "ES256": ("ECC_NIST_P256", "ECDSA_SHA_256"),
}
KMS_MESSAGE_LIMIT = 4096
THUMBPRINT_MEMBERS = {"RSA": ("e", "kty", "n"), "EC": ("crv", "kty", "x", "y")}


@dataclass(frozen=True)
class SigningKey:
    kid: str
    alg: str
    kms_key_id: str
    state: str
    public_jwk: dict[str, str]
    retired_at: int | None = None
    encrypted_private_key: str | None = None


_cache: dict[str, Any] = {"keys": None, "loaded_at": 0.0}


@lru_cache(maxsize=1)
def kms_client() -> Any:
    import boto3
    from botocore.config import Config

    settings = get_settings()
    config = Config(
        retries={"max_attempts": settings.aws_retry_attempts, "mode": "standard"},
        connect_timeout=2,
        read_timeout=5,
    )
    return boto3.client(
        "kms", region_name=settings.region, endpoint_url=settings.endpoint_url, config=config
    )


def reset_cache() -> None:
    _cache["keys"] = None
    _cache["loaded_at"] = 0.0


def thumbprint(jwk: dict[str, str]) -> str:
    """RFC 7638 §3: SHA-256 over the required members, sorted, no whitespace."""
    from cryptography.hazmat.primitives import hashes

    members = {name: jwk[name] for name in THUMBPRINT_MEMBERS[jwk["kty"]]}
    canonical = json.dumps(members, separators=(",", ":"), sort_keys=True).encode()
    digest = hashes.Hash(hashes.SHA256())
    digest.update(canonical)
    return base64url_encode(digest.finalize()).decode()


def public_jwk_from_der(der: bytes, alg: str) -> dict[str, str]:
    from cryptography.hazmat.primitives.serialization import load_der_public_key
    from jwt.algorithms import ECAlgorithm, RSAAlgorithm

    public_key = load_der_public_key(der)
    algorithm = RSAAlgorithm if alg == "RS256" else ECAlgorithm
    jwk = algorithm.to_jwk(public_key, as_dict=True)
    jwk = {k: v for k, v in jwk.items() if k in THUMBPRINT_MEMBERS[jwk["kty"]]}
    return {**jwk, "kid": thumbprint(jwk), "alg": alg, "use": "sig"}


def _from_record(record: Any) -> SigningKey:
    return SigningKey(
        kid=record.kid,
        alg=record.alg,
        kms_key_id=record.kms_key_id,
        state=record.state,
        public_jwk=json.loads(record.public_jwk),
        retired_at=record.retired_at,
        encrypted_private_key=record.encrypted_private_key,
    )


def signing_keys() -> list[SigningKey]:
    """Every registered key, cached per container."""
    settings = get_settings()
    if (
        _cache["keys"] is None
        or time.monotonic() - _cache["loaded_at"] > settings.keys_cache_seconds
    ):
        from chalicelib.models import SigningKeyModel

        _cache["keys"] = [_from_record(r) for r in SigningKeyModel.scan()]
        _cache["loaded_at"] = time.monotonic()
    return _cache["keys"]


def active_key(alg: str = "RS256") -> SigningKey:
    for key in signing_keys():
        if key.alg == alg and key.state == "active":
            return key
    if get_settings().signing_mode == "envelope":
        raise ServerError("No signing key", detail=f"no active {alg} key: run `keys init`")
    key = _register_alias_key(alg)
    reset_cache()
    return key


def find_key(kid: str) -> SigningKey | None:
    """A published key by kid; reloads the set once if the kid is new to this container."""
    for attempt in range(2):
        for key in signing_keys():
            if key.kid == kid and _published(key):
                return key
        if attempt == 0 and time.monotonic() - _cache["loaded_at"] > 5:
            reset_cache()
    return None


def _published(key: SigningKey) -> bool:
    if key.state != "retired":
        return True
    retire_window = get_settings().key_retire_seconds
    return key.retired_at is not None and key.retired_at + retire_window > time.time()


def jwks() -> dict[str, list[dict[str, str]]]:
    keys = [key.public_jwk for key in signing_keys() if _published(key)]
    return {"keys": keys}


def sign_jwt(claims: dict[str, Any], *, typ: str = "JWT", alg: str = "RS256") -> str:
    key = active_key(alg)
    header = {"alg": alg, "typ": typ, "kid": key.kid}
    segments = [_b64_json(header), _b64_json(claims)]
    signing_input = b".".join(segments)
    if len(signing_input) > KMS_MESSAGE_LIMIT:
        raise ServerError("Token too large to sign", detail=f"{len(signing_input)} bytes")
    if key.encrypted_private_key:
        from chalicelib import envelope

        signature = envelope.sign(key.kid, key.alg, key.encrypted_private_key, signing_input)
    else:
        signature = _kms_sign(key, signing_input)
    return b".".join([*segments, base64url_encode(signature)]).decode()


def _b64_json(value: dict[str, Any]) -> bytes:
    return base64url_encode(json.dumps(value, separators=(",", ":")).encode())


def _kms_sign(key: SigningKey, message: bytes) -> bytes:
    response = kms_client().sign(
        KeyId=key.kms_key_id,
        Message=message,
        MessageType="RAW",
        SigningAlgorithm=ALGORITHMS[key.alg][1],
    )
    signature = response["Signature"]
    return jose_ecdsa(signature) if key.alg == "ES256" else signature


def jose_ecdsa(der: bytes) -> bytes:
    """RFC 7518 §3.4: an ECDSA P-256 signature as R||S, 32 bytes each (DER in)."""
    from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

    r, s = decode_dss_signature(der)
    return r.to_bytes(32, "big") + s.to_bytes(32, "big")


def alias_name(alg: str) -> str:
    return f"{get_settings().key_alias_prefix}-{alg.lower()}"


def register(kms_key_id: str, alg: str, state: str) -> SigningKey:
    """Record a KMS key (its public half and thumbprint) in the key set."""
    der = kms_client().get_public_key(KeyId=kms_key_id)["PublicKey"]
    return save_key(public_jwk_from_der(der, alg), alg, state, kms_key_id)


def save_key(
    jwk: dict[str, str],
    alg: str,
    state: str,
    kms_key_id: str,
    encrypted_private_key: str | None = None,
) -> SigningKey:
    """Add a key to the set; `kms_key_id` is the signing key (kms) or the wrapping key."""
    from chalicelib.models import SigningKeyModel, now

    record = SigningKeyModel(
        kid=jwk["kid"],
        alg=alg,
        kms_key_id=kms_key_id,
        state=state,
        public_jwk=json.dumps(jwk),
        activated_at=now() if state == "active" else None,
        encrypted_private_key=encrypted_private_key,
    )
    record.save(condition=SigningKeyModel.kid.does_not_exist())
    return _from_record(record)


def _register_alias_key(alg: str) -> SigningKey:
    from pynamodb.exceptions import PutError

    arn = kms_client().describe_key(KeyId=alias_name(alg))["KeyMetadata"]["Arn"]
    try:
        return register(arn, alg, "active")
    except PutError as exc:
        if exc.cause_response_code != "ConditionalCheckFailedException":
            raise  # an AWS fault (503), not another container registering it first
        reset_cache()
        return next(k for k in signing_keys() if k.alg == alg and k.state == "active")
