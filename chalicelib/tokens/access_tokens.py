"""Access tokens: RFC 9068 JWTs, and the denylist that revokes one before its exp.

RFC 9068 §2: header `typ: at+jwt`; claims iss, sub, aud, exp, iat, jti, client_id, scope
(and when a person signed in, §2.2.1: auth_time, amr and the acr it amounts to).
Decisions: the lifetime is the client's own or
`ACCESS_TOKEN_LIFETIME`; a token issued beside a refresh token carries its family id
(`refresh_family`), so revoking the family (RFC 7009 §2.1) makes the access token inactive
too; a revoked jti is denied until the token's own exp, then ages out by TTL. The
algorithm is the client's `access_token_signed_response_alg` if it registered one, else
`ACCESS_TOKEN_ALG` (by default RS256 in `kms` mode, ES256 in `envelope` mode: config.py).
Verification is in verification.py.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from chalicelib.config import get_settings
from chalicelib.models import RevokedTokenModel
from chalicelib.records import assurance
from chalicelib.records.clients import Client
from chalicelib.signing.jws import sign_jwt

TYP = "at+jwt"
REFRESH_FAMILY_CLAIM = "refresh_family"


@dataclass(frozen=True)
class IssuedToken:
    token: str
    jti: str
    exp: int
    expires_in: int


def issue_access_token(
    *,
    client: Client,
    sub: str,
    scope: str,
    audience: str | list[str],
    now: int,
    auth_time: int | None = None,
    amr: tuple[str, ...] | list[str] | None = None,
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
        claims["amr"] = list(amr or (assurance.PASSWORD,))
        claims["acr"] = assurance.acr(claims["amr"])
    if refresh_family is not None:
        claims[REFRESH_FAMILY_CLAIM] = refresh_family
    alg = client.access_token_signed_response_alg or settings.access_token_alg
    token = sign_jwt(claims, typ=TYP, alg=alg)
    return IssuedToken(token=token, jti=jti, exp=now + lifetime, expires_in=lifetime)


def is_revoked(jti: str) -> bool:
    try:
        return RevokedTokenModel.get(jti, consistent_read=True).is_live()
    except RevokedTokenModel.DoesNotExist:
        return False


def revoke(jti: str, exp: int) -> None:
    """Deny a jti until the token's own expiry (the denylist entry then ages out by TTL)."""
    RevokedTokenModel(jti=jti, expires_at=exp).save()
