"""Reading back a JWT we issued: access tokens (userinfo, introspection, revocation) and
ID tokens sent as `id_token_hint` (/authorize, /logout). The checks are written once here.

RFC 8725 (JWT BCP) §3.1-§3.2, RFC 9068 §4, OIDC Core §3.1.2.1. The size and header checks
are also those of a client's own assertion (tokens/client_assertions.py). A token passes
only if:
* it is at most 8 KB;
* its header names an algorithm we sign with (a string: a list or object is refused, not a
  500), carries no key or key URL (`jwk`, `jku`, `x5u`, `x5c`) and no `crit`, and has the
  `typ` of the kind asked for (an access token is never accepted as an ID token, nor the
  reverse);
* its kid is a key we publish, whose own algorithm is the header's (alg pinned to the key);
* the signature verifies, and `iss` is our issuer.
Then per kind: an access token must be unexpired and carry exp, iat, sub and jti, and is
refused once revoked (its jti denylisted or its refresh family revoked); an ID token hint
may be expired (it only names a person) and must carry sub and aud.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import lru_cache
from typing import Any

import jwt

from chalicelib.config import get_settings
from chalicelib.errors import InvalidRequest, InvalidToken, OAuthError
from chalicelib.signing.keys import ALGORITHMS, find_key
from chalicelib.tokens import access_tokens, refresh_families

MAX_TOKEN_BYTES = 8192
FORBIDDEN_HEADERS = frozenset({"jwk", "jku", "x5u", "x5c", "crit"})
ACCESS_TOKEN_TYPES = frozenset({"at+jwt", "application/at+jwt"})
ID_TOKEN_TYPES = frozenset({"jwt"})
INVALID_ACCESS_TOKEN = "The access token is invalid"
INVALID_HINT = "id_token_hint is not a valid ID token from this server"
Refusal = Callable[[str], OAuthError]  # the error for a failed check, given its logged detail


def verify_access_token(token: str, *, check_revoked: bool = True) -> dict[str, Any]:
    """The claims of a valid access token we issued; InvalidToken for anything else."""
    claims = _verified(
        token,
        ACCESS_TOKEN_TYPES,
        lambda detail: InvalidToken(INVALID_ACCESS_TOKEN, detail=detail),
        options={"require": ["exp", "iat", "iss", "sub", "jti"], "verify_aud": False},
        typ_default="",
    )
    if check_revoked and _is_revoked(claims):
        raise InvalidToken(INVALID_ACCESS_TOKEN, detail="revoked")
    return claims


def verify_id_token_hint(token: str, client_id: str | None = None) -> dict[str, Any]:
    """The claims of an ID token we issued (expired or not); InvalidRequest otherwise."""
    claims = _verified(
        token,
        ID_TOKEN_TYPES,
        lambda detail: InvalidRequest(INVALID_HINT, detail=detail),
        options={"require": ["iss", "sub", "aud"], "verify_exp": False, "verify_aud": False},
        typ_default="JWT",
    )
    if client_id is not None and client_id not in audiences(claims):
        raise InvalidRequest("id_token_hint was not issued to this client")
    return claims


def audiences(claims: dict[str, Any]) -> list[str]:
    aud = claims.get("aud")
    return aud if isinstance(aud, list) else [aud]


def _verified(
    token: str,
    types: frozenset[str],
    invalid: Refusal,
    *,
    options: dict[str, Any],
    typ_default: str,
) -> dict[str, Any]:
    header = read_header(token, invalid)
    alg = check_header(header, ALGORITHMS, invalid)
    if str(header.get("typ", typ_default)).lower() not in types:
        raise invalid("typ")
    key = find_key(str(header.get("kid", "")))
    if key is None or key.alg != alg:
        raise invalid("unknown kid")  # or a kid whose key has another alg
    try:
        return jwt.decode(
            token,
            key=_public_key(key.kid, json.dumps(key.public_jwk, sort_keys=True)),
            algorithms=[key.alg],
            issuer=get_settings().issuer,
            options=options,
        )
    except jwt.InvalidTokenError as exc:
        raise invalid(type(exc).__name__) from exc


def read_header(token: str, invalid: Refusal) -> dict[str, Any]:
    """The unverified JOSE header of a JWT of at most MAX_TOKEN_BYTES."""
    if not token or len(token.encode()) > MAX_TOKEN_BYTES:
        raise invalid("size")
    try:
        return jwt.get_unverified_header(token)
    except jwt.InvalidTokenError as exc:
        raise invalid("malformed") from exc


def check_header(header: dict[str, Any], algorithms: tuple[str, ...], invalid: Refusal) -> str:
    """The header's `alg`, if it is one of `algorithms` and the header names no key, key
    URL or critical extension (RFC 8725 §3.1, §3.2); ours and client assertions alike."""
    alg = header.get("alg")
    if not isinstance(alg, str) or alg not in algorithms:
        raise invalid("algorithm")
    if FORBIDDEN_HEADERS & header.keys():
        raise invalid("forbidden header")
    return alg


@lru_cache(maxsize=32)
def _public_key(kid: str, jwk_json: str) -> Any:
    """The parsed public key of a kid (parsing an RSA JWK costs more than verifying)."""
    return jwt.PyJWK(json.loads(jwk_json)).key


def _is_revoked(claims: dict[str, Any]) -> bool:
    jti = claims["jti"]
    if not isinstance(jti, str) or access_tokens.is_revoked(jti):
        return True
    family = claims.get(access_tokens.REFRESH_FAMILY_CLAIM)
    if family is None:
        return False
    return not isinstance(family, str) or not refresh_families.is_live(family)
