"""A client's own public keys, for `private_key_jwt` (RFC 7523 §2.2, OIDC Core §9):
registered inline (`jwks`, RFC 7591 §2) or by URL (`jwks_uri`), never both.

Decisions: only asymmetric public keys (RSA of at least 2048 bits, EC P-256) are accepted,
each one parsed when registered; a JWK carrying any private or symmetric member (d, p, q,
dp, dq, qi, oth, k) is refused, so a client cannot leak its private key into our table; at
most 10 keys; the algorithms are ES256, RS256 and PS256, one of which a client may pin
(`token_endpoint_auth_signing_alg`). A key that names its `alg` or `use` (RFC 7517 §4.2,
§4.4) verifies only that algorithm, and only if its use is `sig`: an `enc` key in the set is
kept but never used, and a set needs one signing key. A `jwks_uri` is fetched under
outbound.py's rules (https, public addresses; loopback in the local stage) and its keys are
checked as inline ones are, on every use.
"""

from __future__ import annotations

import json
from typing import Any

from chalicelib import outbound
from chalicelib.config import get_settings
from chalicelib.errors import InvalidClientMetadata

ASSERTION_ALGORITHMS = ("ES256", "RS256", "PS256")
PRIVATE_MEMBERS = frozenset({"d", "p", "q", "dp", "dq", "qi", "oth", "k"})
KEY_TYPES = {"RSA": ("RS256", "PS256"), "EC": ("ES256",)}
MAX_KEYS = 10
MIN_RSA_BITS = 2048


def check(meta: dict[str, Any]) -> None:
    """The private_key_jwt fields of client metadata, as the admin CLI and /register set them."""
    method = meta["token_endpoint_auth_method"]
    jwks, jwks_uri = meta.get("jwks"), meta.get("jwks_uri")
    alg = meta.get("token_endpoint_auth_signing_alg")
    if method != "private_key_jwt":
        if jwks or jwks_uri or alg:
            raise InvalidClientMetadata("jwks, jwks_uri and the signing alg need private_key_jwt")
        return
    if bool(jwks) == bool(jwks_uri):
        raise InvalidClientMetadata("private_key_jwt needs exactly one of jwks and jwks_uri")
    if alg is not None and alg not in ASSERTION_ALGORITHMS:
        raise InvalidClientMetadata(f"signing alg must be one of {', '.join(ASSERTION_ALGORITHMS)}")
    if jwks:
        parse(jwks)
    else:
        try:
            outbound.check_url(jwks_uri)
        except outbound.FetchError as exc:
            raise InvalidClientMetadata(f"jwks_uri: {exc}") from exc


def parse(jwks: str | dict[str, Any]) -> list[dict[str, Any]]:
    """The keys of a JWK Set (JSON text or object), each checked; InvalidClientMetadata if not."""
    try:
        document = json.loads(jwks) if isinstance(jwks, str) else jwks
    except ValueError as exc:
        raise InvalidClientMetadata("jwks is not JSON") from exc
    keys = document.get("keys") if isinstance(document, dict) else None
    if not isinstance(keys, list) or not keys or len(keys) > MAX_KEYS:
        raise InvalidClientMetadata(f"jwks must be a JWK Set of 1 to {MAX_KEYS} keys")
    signing = [key for key in keys if _checked(key)]
    if not signing:
        raise InvalidClientMetadata("jwks holds no signing key")
    return keys


def _checked(key: Any) -> bool:
    """Whether a JWK is a signing key (checked); an encryption key is left alone, once
    it is known to be public."""
    import jwt  # registration and private_key_jwt only: kept off the token path

    if not isinstance(key, dict):
        raise InvalidClientMetadata("jwks keys must be JSON objects")
    if PRIVATE_MEMBERS & key.keys():
        raise InvalidClientMetadata("jwks must hold public keys only")
    if key.get("use", "sig") != "sig":
        return False
    if key.get("kty") not in KEY_TYPES:
        raise InvalidClientMetadata("jwks signing keys must be RSA or EC public keys")
    if key.get("kty") == "EC" and key.get("crv") != "P-256":
        raise InvalidClientMetadata("EC keys must be on P-256")
    try:
        public = jwt.PyJWK(key).key
    except (jwt.PyJWKError, jwt.InvalidKeyError, ValueError, TypeError) as exc:
        raise InvalidClientMetadata("a jwks key is not a valid public key") from exc
    if key["kty"] == "RSA" and public.key_size < MIN_RSA_BITS:
        raise InvalidClientMetadata(f"RSA keys must have at least {MIN_RSA_BITS} bits")
    return True


def serves(key: dict[str, Any], alg: str) -> bool:
    """Whether a registered key may verify an `alg` signature (see the module docstring)."""
    fits = alg in KEY_TYPES.get(key.get("kty", ""), ())
    return fits and key.get("alg", alg) == alg and key.get("use", "sig") == "sig"


def keys_of(jwks: str | None, jwks_uri: str | None) -> list[dict[str, Any]]:
    """The client's registered keys, fetching (cached) a jwks_uri; FetchError/Invalid... if not."""
    if jwks:
        return parse(jwks)
    return parse(outbound.fetch_json(jwks_uri or "", get_settings().jwks_uri_max_bytes))
