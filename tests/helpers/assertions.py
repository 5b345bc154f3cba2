"""Client assertions (RFC 7523 §2.2) as a private_key_jwt client signs them, and the key
pairs it signs them with; sent to the Chalice app's /token."""

from __future__ import annotations

import json
import time
import uuid
from functools import lru_cache
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from tests.helpers.forms import post_form

ISSUER = "https://auth.test"  # the test stage's issuer
JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


def ec_key() -> Any:
    return ec.generate_private_key(ec.SECP256R1())


@lru_cache(maxsize=4)
def rsa_key(bits: int = 2048) -> Any:
    """One RSA key per size for the session: generating them is slow."""
    return rsa.generate_private_key(public_exponent=65537, key_size=bits)


def public_jwk(private: Any, kid: str, alg: str = "ES256", **members: Any) -> dict[str, Any]:
    jwk = json.loads(jwt.get_algorithm_by_name(alg).to_jwk(private.public_key()))
    return {**jwk, "kid": kid, "use": "sig", **members}


def jwks(*keys: dict[str, Any]) -> str:
    return json.dumps({"keys": list(keys)})


def assertion(client_id: str, key: Any, alg: str = "ES256", kid: str = "k1", **claims: Any) -> str:
    """A signed assertion for `client_id`; a claim given as None is left out."""
    now = int(time.time())
    body = {"iss": client_id, "sub": client_id, "aud": f"{ISSUER}/token", "iat": now,
            "exp": now + 60, "jti": str(uuid.uuid4()), **claims}  # fmt: skip
    body = {k: v for k, v in body.items() if v is not None}
    return jwt.encode(body, key, algorithm=alg, headers={"kid": kid} if kid else None)


def post_assertion(http: Any, path: str, signed: str, **form: str) -> Any:
    data = {"client_assertion_type": JWT_BEARER, "client_assertion": signed, **form}
    return post_form(http, path, data)


def token(http: Any, signed: str, **form: str) -> Any:
    """A client_credentials token request authenticated by `signed` alone."""
    return post_assertion(http, "/token", signed, grant_type="client_credentials", **form)


def error(response: Any) -> str:
    return json.loads(response.body)["error"]
