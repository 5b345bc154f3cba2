"""Access tokens (RFC 9068 JWT), their verification, and opaque secrets.

RFC 9068 §2: header `typ: at+jwt`; claims iss, sub, aud, exp, iat, jti, client_id, scope.
Verification (for userinfo and introspection) accepts only what we issue: RS256/ES256 under
a published kid, no keys or key URLs in the header, no `crit`, at most 8 KB, our issuer,
not expired, not on the revocation denylist. Opaque values (client secrets, codes, refresh
tokens, session ids, device codes) carry 256 bits from `secrets` and are stored as SHA-256.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import jwt

from chalicelib import keys
from chalicelib.config import get_settings
from chalicelib.errors import InvalidToken

MAX_TOKEN_BYTES = 8192
ACCEPTED_ALGS = frozenset(keys.ALGORITHMS)
FORBIDDEN_HEADERS = frozenset({"jwk", "jku", "x5u", "x5c", "crit"})
ACCESS_TOKEN_TYPES = frozenset({"at+jwt", "application/at+jwt"})
# Ties an access token to the refresh-token family it came with: revoking the family
# (RFC 7009 §2.1) makes it inactive at introspection and userinfo too.
REFRESH_FAMILY_CLAIM = "refresh_family"


def random_token() -> str:
    """256 bits of randomness, URL-safe."""
    return secrets.token_urlsafe(32)


def sha256_hex(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


@dataclass(frozen=True)
class IssuedToken:
    token: str
    jti: str
    exp: int
    expires_in: int


def issue_access_token(
    *,
    client: Any,
    sub: str,
    scope: str,
    audience: str | list[str],
    auth_time: int | None = None,
    now: int,
    refresh_family: str | None = None,
) -> IssuedToken:
    settings = get_settings()
    lifetime = client.access_token_lifetime or settings.access_token_lifetime
    jti = uuid.uuid4().hex
    claims: dict[str, Any] = {
        "iss": settings.issuer,
        "sub": sub,
        "aud": audience,
        "exp": now + lifetime,
        "iat": now,
        "jti": jti,
        "client_id": client.client_id,
    }
    if scope:
        claims["scope"] = scope
    if auth_time is not None:
        claims["auth_time"] = auth_time
    if refresh_family is not None:
        claims[REFRESH_FAMILY_CLAIM] = refresh_family
    token = keys.sign_jwt(claims, typ="at+jwt")
    return IssuedToken(token=token, jti=jti, exp=now + lifetime, expires_in=lifetime)


@lru_cache(maxsize=32)
def _verification_key(kid: str, jwk_json: str) -> Any:
    import json

    return jwt.PyJWK(json.loads(jwk_json)).key


def verify_access_token(token: str, *, check_revoked: bool = True) -> dict[str, Any]:
    """The claims of a valid access token we issued; InvalidToken for anything else."""
    if not token or len(token.encode()) > MAX_TOKEN_BYTES:
        raise InvalidToken("The access token is invalid")
    try:
        header = jwt.get_unverified_header(token)
    except jwt.InvalidTokenError as exc:
        raise InvalidToken("The access token is invalid", detail="malformed") from exc
    _check_header(header)
    key = keys.find_key(str(header.get("kid", "")))
    if key is None or key.alg != header["alg"]:
        raise InvalidToken("The access token is invalid", detail="unknown kid")
    import json

    try:
        claims = jwt.decode(
            token,
            key=_verification_key(key.kid, json.dumps(key.public_jwk, sort_keys=True)),
            algorithms=[key.alg],
            issuer=get_settings().issuer,
            options={"require": ["exp", "iat", "iss", "sub", "jti"], "verify_aud": False},
        )
    except jwt.InvalidTokenError as exc:
        raise InvalidToken("The access token is invalid", detail=type(exc).__name__) from exc
    if check_revoked and _is_revoked(claims):
        raise InvalidToken("The access token is invalid", detail="revoked")
    return claims


def _check_header(header: dict[str, Any]) -> None:
    alg = header.get("alg")
    if not isinstance(alg, str) or alg not in ACCEPTED_ALGS:
        raise InvalidToken("The access token is invalid", detail="algorithm")
    if FORBIDDEN_HEADERS & header.keys():
        raise InvalidToken("The access token is invalid", detail="forbidden header")
    if str(header.get("typ", "")).lower() not in ACCESS_TOKEN_TYPES:
        raise InvalidToken("The access token is invalid", detail="typ")


def _is_revoked(claims: dict[str, Any]) -> bool:
    if not isinstance(claims["jti"], str) or is_revoked(claims["jti"]):
        return True
    family = claims.get(REFRESH_FAMILY_CLAIM)
    if family is None:
        return False
    from chalicelib import refresh_tokens

    return not isinstance(family, str) or not refresh_tokens.family_is_live(family)


def is_revoked(jti: str) -> bool:
    from chalicelib.models import RevokedTokenModel

    try:
        return RevokedTokenModel.get(jti, consistent_read=True).is_live()
    except RevokedTokenModel.DoesNotExist:
        return False


def revoke_access_token(jti: str, exp: int) -> None:
    """Deny a jti until the token's own expiry (the denylist entry then ages out by TTL)."""
    from chalicelib.models import RevokedTokenModel

    RevokedTokenModel(jti=jti, expires_at=exp).save()
