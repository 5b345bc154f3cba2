"""A client's own public keys, for `private_key_jwt` (RFC 7523 §2.2, OIDC Core §9):
registered inline (`jwks`, RFC 7591 §2) or by URL (`jwks_uri`), never both.

Decisions: only asymmetric public keys (RSA, EC P-256) are accepted; a JWK carrying any
private or symmetric member (d, p, q, dp, dq, qi, oth, k) is refused, so a client cannot
leak its private key into our table; at most 10 keys; the algorithms are ES256, RS256 and
PS256, one of which a client may pin (`token_endpoint_auth_signing_alg`); a `jwks_uri` is
fetched under outbound.py's rules (https, public addresses; loopback in the local stage).
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
    for key in keys:
        if not isinstance(key, dict) or key.get("kty") not in KEY_TYPES:
            raise InvalidClientMetadata("jwks keys must be RSA or EC public keys")
        if PRIVATE_MEMBERS & key.keys():
            raise InvalidClientMetadata("jwks must hold public keys only")
        if key.get("kty") == "EC" and key.get("crv") != "P-256":
            raise InvalidClientMetadata("EC keys must be on P-256")
    return keys


def keys_of(jwks: str | None, jwks_uri: str | None) -> list[dict[str, Any]]:
    """The client's registered keys, fetching (cached) a jwks_uri; FetchError/Invalid... if not."""
    if jwks:
        return parse(jwks)
    return parse(outbound.fetch_json(jwks_uri or "", get_settings().jwks_uri_max_bytes))
