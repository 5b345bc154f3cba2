"""ID tokens: issuing them (OIDC Core §2, §3.1.3.6, §3.3.2.11) and reading them back as hints.

Decisions:
* Claims: iss, sub, aud (the client), exp, iat, auth_time, nonce (when the request had
  one), azp, amr, sid, `at_hash` with an access token, `c_hash` with a code from /authorize.
  Profile and email claims are added by the caller only for `response_type=id_token`.
* RS256 unless the client registered `id_token_signed_response_alg` ES256. Both hash
  halves use SHA-256, the hash of both algorithms.
* `id_token_hint` (/authorize, /logout) must be one we signed, for our issuer; an expired
  hint is accepted (OIDC Core §3.1.2.1, RP-Initiated Logout §2) since it only names a user.
"""

from __future__ import annotations

import base64
import hashlib
from typing import Any

import jwt

from chalicelib import keys
from chalicelib.config import get_settings
from chalicelib.errors import InvalidRequest

MAX_HINT_BYTES = 8192
FORBIDDEN_HEADERS = frozenset({"jwk", "jku", "x5u", "x5c", "crit"})


def half_hash(value: str) -> str:
    """The left half of SHA-256, base64url without padding (at_hash, c_hash)."""
    digest = hashlib.sha256(value.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest[: len(digest) // 2]).rstrip(b"=").decode()


def issue_id_token(
    *,
    client: Any,
    sub: str,
    auth_time: int,
    now: int,
    nonce: str | None = None,
    sid: str | None = None,
    amr: tuple[str, ...] | list[str] = ("pwd",),
    access_token: str | None = None,
    code: str | None = None,
    extra_claims: dict[str, Any] | None = None,
) -> str:
    settings = get_settings()
    claims: dict[str, Any] = {
        **(extra_claims or {}),
        "iss": settings.issuer,
        "sub": sub,
        "aud": client.client_id,
        "exp": now + settings.id_token_lifetime,
        "iat": now,
        "auth_time": auth_time,
        "azp": client.client_id,
        "amr": list(amr),
    }
    optional = {
        "nonce": nonce,
        "sid": sid,
        "at_hash": half_hash(access_token) if access_token else None,
        "c_hash": half_hash(code) if code else None,
    }
    claims.update({name: value for name, value in optional.items() if value})
    return keys.sign_jwt(claims, typ="JWT", alg=client.id_token_signed_response_alg or "RS256")


def verify_hint(token: str, client_id: str | None = None) -> dict[str, Any]:
    """The claims of an ID token we issued (expired or not); InvalidRequest otherwise."""
    invalid = InvalidRequest("id_token_hint is not a valid ID token from this server")
    if not token or len(token) > MAX_HINT_BYTES:
        raise invalid
    try:
        header = jwt.get_unverified_header(token)
    except jwt.InvalidTokenError as exc:
        raise invalid from exc
    alg = header.get("alg")
    if not isinstance(alg, str) or alg not in keys.ALGORITHMS:
        raise invalid  # a list or object here would be unhashable: a 500, not a refusal
    if FORBIDDEN_HEADERS & header.keys():
        raise invalid
    if str(header.get("typ", "JWT")).upper() != "JWT":
        raise invalid  # an access token (at+jwt) is not an ID token
    key = keys.find_key(str(header.get("kid", "")))
    if key is None or key.alg != header["alg"]:
        raise invalid
    try:
        claims = jwt.decode(
            token,
            key=jwt.PyJWK(key.public_jwk).key,
            algorithms=[key.alg],
            issuer=get_settings().issuer,
            options={"require": ["iss", "sub", "aud"], "verify_exp": False, "verify_aud": False},
        )
    except jwt.InvalidTokenError as exc:
        raise invalid from exc
    audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
    if client_id is not None and client_id not in audiences:
        raise InvalidRequest("id_token_hint was not issued to this client")
    return claims
