"""Forged and foreign access tokens, built the ways attackers build them."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from functools import lru_cache
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa


def claims(**overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    base = {
        "iss": "https://auth.test",
        "sub": "victim",
        "aud": "urn:gatehouse:api",
        "exp": now + 600,
        "iat": now,
        "jti": uuid.uuid4().hex,
        "client_id": "someone",
        "scope": "api:read api:write",
    }
    return {**base, **overrides}


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _segment(value: dict[str, Any]) -> str:
    return _b64(json.dumps(value, separators=(",", ":")).encode())


@lru_cache(maxsize=1)
def attacker_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def real_kid() -> str:
    from chalicelib.signing import keys

    return keys.active_key("RS256").kid


def raw(header: dict[str, Any], signature: str = "c2ln") -> str:
    """Any header at all, with a signature that would never verify."""
    return f"{_segment(header)}.{_segment(claims())}.{signature}"


def alg_none() -> str:
    header = {"alg": "none", "typ": "at+jwt", "kid": real_kid()}
    return f"{_segment(header)}.{_segment(claims())}."


def hs256_with_public_key() -> str:
    """The classic key-confusion forgery: HMAC keyed with the server's public key PEM."""
    from chalicelib.signing import keys

    public = jwt.PyJWK(keys.active_key("RS256").public_jwk).key
    pem = public.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    header = {"alg": "HS256", "typ": "at+jwt", "kid": real_kid()}
    signing_input = f"{_segment(header)}.{_segment(claims())}"
    signature = hmac.new(pem, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{_b64(signature)}"


def attacker_signed(**header: Any) -> str:
    return jwt.encode(
        claims(),
        attacker_key(),
        algorithm="RS256",
        headers={"typ": "at+jwt", "kid": real_kid(), **header},
    )


def unknown_kid() -> str:
    return attacker_signed(kid="not-a-key-of-ours")


def embedded_jwk() -> str:
    from jwt.algorithms import RSAAlgorithm

    jwk = RSAAlgorithm.to_jwk(attacker_key().public_key(), as_dict=True)
    return attacker_signed(jwk=jwk)


def ours(typ: str = "at+jwt", alg: str = "RS256", **overrides: Any) -> str:
    """Genuinely signed by our KMS key, with whatever claims a test needs."""
    from chalicelib.signing import jws

    return jws.sign_jwt(claims(**overrides), typ=typ, alg=alg)


def bad_signature(token: str) -> str:
    head, payload, signature = token.split(".")
    flipped = "A" if signature[10] != "A" else "B"
    return f"{head}.{payload}.{signature[:10]}{flipped}{signature[11:]}"
