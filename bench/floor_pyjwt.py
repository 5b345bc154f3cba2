"""The floor: PyJWT signing the RFC 9068 claims of a client_credentials token, nothing else.

No HTTP, no client check, no storage: what any Python server must spend per token at least.
ES256 with the key the Authlib peer signs with; RS256 beside it, the algorithm Gatehouse
signs access tokens with today.
"""

from __future__ import annotations

import time
import uuid
from functools import lru_cache
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from bench.timing import cpu_us_per_call

ISSUER = "https://bench.test"
AUDIENCE = "urn:gatehouse:api"
CLIENT_ID = "bench-client"
SCOPE = "api:read"
LIFETIME = 3600


@lru_cache(maxsize=1)
def es256_key() -> ec.EllipticCurvePrivateKey:
    """The one P-256 key the floor and the Authlib peer both sign with."""
    return ec.generate_private_key(ec.SECP256R1())


@lru_cache(maxsize=1)
def rs256_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def claims() -> dict[str, Any]:
    now = int(time.time())
    return {
        "iss": ISSUER,
        "sub": CLIENT_ID,
        "aud": AUDIENCE,
        "exp": now + LIFETIME,
        "iat": now,
        "jti": uuid.uuid4().hex,
        "client_id": CLIENT_ID,
        "scope": SCOPE,
    }


def sign(alg: str) -> str:
    key = es256_key() if alg == "ES256" else rs256_key()
    return jwt.encode(claims(), key, algorithm=alg, headers={"typ": "at+jwt", "kid": "bench"})


def run(calls: int = 500, rounds: int = 7) -> dict[str, Any]:
    return {
        alg: {"cpu_us_per_token": cpu_us_per_call(lambda a=alg: sign(a), calls, rounds)}
        for alg in ("ES256", "RS256")
    }
